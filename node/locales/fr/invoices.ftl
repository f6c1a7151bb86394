# Émission et exports des factures, en français. Chaque message existe aussi dans en/invoices.ftl.

## Erreurs

invoices-error-not-office = ce nœud n'est pas le service de facturation : les factures et les avoirs sont émis sur le nœud { $office } ({ $name }). Lancez la commande sur ce nœud, ou faites de ce nœud le service de facturation avec `progmanager invoice office ID-NŒUD` une fois qu'il s'est synchronisé avec lui.
invoices-error-no-office = la plateforme n'a pas de service de facturation. Choisissez-en un avec `progmanager invoice office ID-NŒUD`.
invoices-error-removed-node = le nœud { $id } a été retiré de la plateforme et ne peut pas être le service de facturation. `progmanager member list` affiche les membres.
invoices-error-unknown = aucune facture ni aucun avoir ne porte le numéro « { $number } ». `progmanager invoice list` affiche ceux qui ont été émis.
invoices-error-invalid-number = numéro de facture « { $value } » invalide : attendu ANNÉE-SÉQUENCE, par exemple 2026-0001.
invoices-error-already-credited = la facture { $number } a déjà été annulée par l'avoir { $credit }.
invoices-error-not-an-invoice = { $number } est un avoir, pas une facture : seule une facture peut faire l'objet d'un avoir.
invoices-error-nothing = rien à facturer du { $from } au { $to } : la période n'a aucun passage terminé qui ne soit déjà facturé.
invoices-error-session-invoiced = le passage { $session } est facturé par la facture émise { $invoice } et ne peut donc pas être modifié. Émettez d'abord un avoir avec `progmanager invoice credit { $invoice }`, puis corrigez le passage et facturez-le à nouveau.
invoices-error-issued-meanwhile = le passage { $session } a été facturé sur { $invoice } pendant la préparation de cette facture ; rien n'a été émis. Relancez la commande.
invoices-error-output-required = le format { $format } s'écrit dans un fichier : indiquez --output FICHIER.

## Détail du calcul d'une ligne

breakdown-covered = pris en charge par le tarif de cette catégorie
breakdown-not-billable = marqué non facturable
breakdown-unbilled-kind = les passages de type « { $kind } » ne sont pas facturés
breakdown-time-rounding = { $elapsed } écoulées, { $billed } facturées
breakdown-minimum-time = temps facturé porté de { $before } au minimum de { $minimum }
breakdown-overrun = { $overrun } après la fin réservée ({ $booked_end }), { $billed } facturées par pas de { $step } min
breakdown-segment = { $start }–{ $end } { $period } : { $duration } × { $hourly }/h = { $amount }
breakdown-package = forfait { $name } ({ $start }–{ $end }) : { $price }
breakdown-unknown-package = le forfait « { $name } » n'est pas proposé par le tarif, facturé sans forfait
breakdown-tier = { $duration } à { $hourly }/h (palier au-delà de { $after } h, { $before } h déjà utilisées)
breakdown-samples = { $count } échantillons × { $rate } = { $amount }
breakdown-session-fee = frais par passage { $amount }
breakdown-multiplier = coefficient de catégorie × { $factor } : { $before } → { $after }
breakdown-surcharge = majoration { $percent } % : + { $amount }
breakdown-discount = remise { $percent } % : − { $amount }
breakdown-minimum-amount = { $computed } porté au montant minimum de { $minimum }
breakdown-rounding = { $exact } arrondi à { $rounded }
breakdown-cap = plafond { $period } de { $cap } depuis le { $start } ({ $already } déjà facturés) : { $before } → { $after }
breakdown-vat = TVA { $percent } % : { $amount }
breakdown-period-default = tarif normal
breakdown-period-weekend = tarif week-end
breakdown-period-holiday = tarif jour férié
breakdown-calendar-day = journalier
breakdown-calendar-month = mensuel
breakdown-calendar-quarter = trimestriel
breakdown-calendar-year = annuel

## Documents

invoices-title-preview = Aperçu de facture (non émise)
invoices-title-invoice = Facture { $number }
invoices-title-credit-note = Avoir { $number }
invoices-header-facility = Plateforme : { $name }
invoices-header-date = Date d'émission : { $date }
invoices-header-period = Période : du { $from } au { $to } (heures de { $timezone })
invoices-header-credits = Annule la facture { $number }
invoices-header-credited = Annulée par l'avoir { $number }
invoices-group-heading = Groupe { $group } ({ $name }), catégorie { $category }
invoices-category-internal = interne
invoices-category-public-cnrs = public externe, CNRS
invoices-category-public-other = public externe, hors CNRS
invoices-category-industrial = industriel
invoices-category-other = autre
invoices-column-vat = TVA
invoices-column-amount_including_vat = TTC
invoices-column-computation = Calcul
invoices-column-note = Remarque
invoices-note-invoiced = déjà facturé par la facture { $number }
invoices-note-changed = passage modifié depuis l'émission
invoices-note-removed = passage supprimé depuis l'émission
invoices-group-total = Total { $group }
invoices-grand-total = Total général
invoices-totals-line = { $label } : { $total } HT, TVA { $vat }, { $including } TTC
invoices-empty = Aucun passage sur cette période.

## Commandes

invoices-preview-invoiced = remarque : { $count } lignes sont déjà facturées par une facture émise ; `--issue` les laisse de côté.
invoices-left-out = laissé de côté : le passage { $session } est déjà facturé par la facture { $number }.
invoices-issued = Facture { $number } émise : { $lines } lignes, { $total } HT, { $including } TTC.
invoices-credit-issued = Avoir { $number } émis pour la facture { $credits } : { $total } HT, { $including } TTC. Ses passages peuvent être facturés à nouveau.
invoices-written = Écrit dans { $path }.
invoices-changed-warning = attention : { $count } passages de la facture { $number } ont changé après son émission (modifiés sur un nœud qui ne connaissait pas encore la facture) ; ils sont signalés ci-dessous. Émettez un avoir puis une nouvelle facture si la modification doit être facturée.
invoices-list-number = Numéro
invoices-list-kind = Type
invoices-list-date = Date
invoices-list-from = Du
invoices-list-to = Au
invoices-list-group = Groupe
invoices-list-total = HT
invoices-list-vat = TVA
invoices-list-including = TTC
invoices-list-status = État
invoices-kind-invoice = facture
invoices-kind-credit-note = avoir
invoices-status-credited = annulée par { $number }
invoices-status-credits = annule { $number }
invoices-office-default = Service de facturation : nœud { $node } ({ $name }), le nœud qui a créé la plateforme, car aucun administrateur n'en a choisi.
invoices-office-chosen = Service de facturation : nœud { $node } ({ $name }).
invoices-office-set = Le nœud { $node } ({ $name }) est désormais le service de facturation ; le changement atteint les autres nœuds lors de leur synchronisation.
invoices-office-this-node = Ce nœud est le service de facturation.
