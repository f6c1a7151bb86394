# Messages de progmanager, en français. Chaque message existe aussi dans en/progmanager.ftl.

error-prefix = erreur : { $message }
default-facility-name = Plateforme d'instruments

## Erreurs

error-not-initialized = le dossier de données { $dir } ne contient aucun nœud. Créez-en un avec `progmanager init --name NOM --admin IDENTIFIANT`, ou lancez `progmanager run`, qui en crée un avec les réglages par défaut.
error-already-initialized = le dossier de données { $dir } contient déjà un nœud ; choisissez un autre dossier avec --data-dir.
error-already-running = un autre nœud tourne déjà sur le dossier de données { $dir } (processus { $pid }). Arrêtez-le d'abord, ou utilisez un autre dossier avec --data-dir. Les autres commandes fonctionnent pendant qu'il tourne.
error-node-not-running = aucun nœud ne tourne sur ce dossier de données, son adresse est donc inconnue : lancez-le avec `progmanager run`, ou donnez l'adresse avec --address HÔTE:PORT.
error-io = { $path } : { $detail }
error-store = erreur de la base de données : { $detail }
error-identity = identité du nœud : { $detail }
error-user-required = cette commande agit au nom d'un utilisateur : indiquez --user IDENTIFIANT (ou la variable PROGMANAGER_USER).
error-login-failed = échec de connexion pour l'utilisateur « { $login } » : utilisateur inconnu ou mot de passe erroné.
error-password-missing = aucun mot de passe fourni : définissez { $variable } ou lancez la commande dans un terminal.
error-password-mismatch = les deux mots de passe diffèrent ; rien n'a été modifié.
error-unknown-instrument = instrument « { $code } » inconnu. Ajoutez-le avec `progmanager instrument add { $code }`.
error-unknown-group = groupe de facturation « { $code } » inconnu. Ajoutez-le avec `progmanager group add { $code } --category CATÉGORIE`.
error-unknown-user = utilisateur « { $login } » inconnu.
error-user-exists = l'utilisateur « { $login } » existe déjà.
error-invalid-value = { $field } invalide : « { $value } ».
error-instrument-busy = l'instrument { $instrument } est utilisé par { $operator } depuis { $since }. Arrêtez d'abord ce passage avec `progmanager session stop --instrument { $instrument }`.
error-no-open-session = aucun passage en cours sur l'instrument { $instrument }.
error-invalid-invitation = invitation invalide : { $reason }. Demandez-en une nouvelle avec `progmanager invite` sur un nœud membre.
error-join-rejected = le nœud qui invite a refusé l'invitation : { $reason }. Demandez-en une nouvelle avec `progmanager invite`.
error-join-failed = impossible de rejoindre la plateforme : { $detail }. Vérifiez que le nœud qui invite tourne (`progmanager run`) et qu'il est joignable, puis relancez la même commande.
error-network = erreur réseau : { $detail }
error-schema = les données enregistrées sont invalides : { $detail }

denied-disabled = accès refusé : l'utilisateur « { $login } » est désactivé.
denied-level = accès refusé : « { $action } » demande le niveau { $required }, et l'utilisateur « { $login } » a le niveau { $level }. Adressez-vous à un administrateur.
denied-other-group = accès refusé : l'utilisateur « { $login } » ne peut enregistrer des passages que pour son groupe { $own }, pas pour { $requested }. Un utilisateur de niveau 2 ou un administrateur peut le faire pour tout groupe.

action-record-session = enregistrer un passage
action-record-unbilled-session = enregistrer un passage non facturé
action-stop-session = arrêter le passage d'un autre utilisateur
action-edit-instruments = modifier les instruments
action-edit-groups = modifier les groupes de facturation
action-edit-tariffs = modifier les tarifs
action-edit-users = modifier les utilisateurs
action-edit-settings = modifier les réglages
action-import-logbook = importer un cahier
action-view-invoices = consulter les factures
action-manage-members = gérer les nœuds membres

field-category = catégorie (attendu : internal, public-cnrs, public-other, industrial ou other)
field-hourly = montant horaire (attendu : un nombre positif comme 30.00)
field-per_sample = montant par échantillon (attendu : un nombre positif comme 23.30)
field-from = date (attendu : AAAA-MM-JJ)
field-to = date (attendu : AAAA-MM-JJ, pas avant --from)
field-instrument = code d'instrument (lettres, chiffres, - _ .)
field-group = code de groupe de facturation (lettres, chiffres, - _ .)
field-login = identifiant (lettres, chiffres, - _ .)
field-timezone = fuseau horaire (attendu : un nom IANA comme Europe/Paris)
field-password = mot de passe (il ne doit pas être vide)
field-level = niveau (attendu : 1, 2 ou 3)
field-listen = adresse d'écoute (attendu : IP:PORT comme 0.0.0.0:4820)
field-admin = identifiant de l'administrateur

## Import de cahier

import-invalid-rows = { $file } : { $count ->
        [one] { $count } ligne invalide
       *[other] { $count } lignes invalides
    } ; rien n'a été importé. Corrigez le fichier puis importez-le de nouveau :
import-row-error = { $file }, ligne { $line }, colonne « { $column } » : { $detail }
import-line-error = { $file }, ligne { $line } : { $detail }
import-unknown-groups = { $file } : ces groupes de facturation n'existent pas ; rien n'a été importé. Ajoutez-les avec `progmanager group add`, ou importez avec --create-groups CATÉGORIE :
import-unknown-group-line = { $file }, ligne { $line } : groupe « { $code } » inconnu
import-warning-duplicate = attention : { $file }, ligne { $line } : ce passage est déjà enregistré ; ignoré.
import-warning-midnight = attention : { $file }, ligne { $line } : la fin précède le début, le passage est donc compté jusqu'au lendemain.
import-warning-overlap = attention : { $file }, ligne { $line } : le passage chevauche celui de la ligne { $other }.
import-warning-overlap-existing = attention : { $file }, ligne { $line } : le passage chevauche un passage déjà enregistré sur cet instrument.
import-groups-created = Groupes de facturation créés : { $groups }
import-done = { $count } passages importés sur { $instrument } ({ $skipped } déjà enregistrés).

logbook-empty-file = le fichier est vide ; une ligne d'en-tête est attendue : date, opérateur, groupe, début, fin, type, observations
logbook-column-date = date
logbook-column-operator = opérateur
logbook-column-group = groupe
logbook-column-start = début
logbook-column-end = fin
logbook-column-kind = type
logbook-column-observations = observations
logbook-missing-column = la colonne « { $value } » manque dans l'en-tête
logbook-unknown-column = colonne « { $value } » inconnue ; attendu : date, opérateur, groupe, début, fin, type, observations
logbook-duplicate-column = la colonne « { $value } » apparaît deux fois
logbook-wrong-field-count = la ligne a { $found } champs séparés par des tabulations alors que l'en-tête en a { $expected }
logbook-empty-field = le champ est vide
logbook-invalid-date = date « { $value } » invalide (attendu : j/m/aa comme 2/6/10)
logbook-invalid-time = heure « { $value } » invalide (attendu : une heure comme 14h, 14.30h ou 14:30)
logbook-nonexistent-local-time = l'heure « { $value } » n'existe pas ce jour-là (passage à l'heure d'été)
logbook-zero-duration = le passage se termine à l'heure où il commence (« { $value } »)

## Commandes

prompt-password = Mot de passe de { $login } : 
prompt-new-password = Nouveau mot de passe de { $login } : 
prompt-password-again = Retapez-le : 
init-created = Plateforme « { $facility } » créée dans { $dir }, avec l'administrateur « { $admin } ». Lancez le nœud avec `progmanager run`.
init-joined = Ce nœud a rejoint la plateforme et détient une copie de ses données, dans { $dir }. Lancez-le avec `progmanager run`.
invite-created = Invitation valable { $hours } heures, pour un nœud qui contactera { $address }. Sur le nouveau nœud, lancez : progmanager init --name NOM --join INVITATION
run-started = Nœud { $node } en marche, données dans { $dir }. Synchronisation sur { $listen } (les pairs contactent { $address }). Arrêt avec Ctrl+C.
first-run-created = Aucun nœud dans { $dir } : une nouvelle plateforme y a été créée, avec ce nœud nommé « { $node } ».
first-run-admin-generated = Connectez-vous en administrateur avec l'identifiant « { $login } » et le mot de passe « { $password } » (affiché seulement maintenant). Donnez-le aux commandes ainsi : progmanager --user { $login } ..., avec PROGMANAGER_PASSWORD défini ou à l'invite. Changez-le avec `progmanager --user { $login } user passwd` (nouveau mot de passe dans { $variable } ou à l'invite).
first-run-admin-env = Connectez-vous en administrateur avec l'identifiant « { $login } » et le mot de passe donné dans { $variable }.
instrument-added = Instrument { $code } ({ $name }) enregistré.
group-added = Groupe de facturation { $code } enregistré, catégorie { $category }.
tariff-set = Tarif de { $instrument } pour { $category } enregistré : { $rule }.
tariff-covered = pris en charge (rien à payer)
tariff-hourly = { $amount } de l'heure
tariff-per-sample = { $amount } par échantillon
user-added = Utilisateur { $login } ajouté, niveau { $level }.
user-password-changed = Mot de passe de { $login } modifié.
session-started = Passage commencé sur { $instrument } pour { $group } à { $start } (ID { $id }).
session-stopped = Passage sur { $instrument } arrêté à { $end } ; durée { $duration }.
session-running = en cours

## Factures

invoice-title = Facture du { $from } au { $to } (heures en { $timezone })
invoice-empty = Aucun passage dans cette période.
invoice-group-heading = Groupe { $group } ({ $name }), catégorie { $category }
invoice-group-total = Total du groupe
invoice-group-total-line = Total pour { $group } : { $total }
invoice-total = Total
invoice-total-line = Total général : { $total }
invoice-open-sessions = attention : { $count } passages de la période sont encore en cours et ne sont pas facturés.
pricing-charged = facturé
pricing-covered = pris en charge
pricing-unbilled = non facturé
billing-unknown-group = le passage { $session } est facturé au groupe inconnu « { $group } ». Ajoutez le groupe avec `progmanager group add`.
billing-missing-tariff = aucun tarif pour l'instrument { $instrument } et la catégorie { $category } (passage { $session }). Définissez-en un avec `progmanager tariff set --instrument { $instrument } --category { $category }`.
billing-end-before-start = le passage { $session } se termine avant de commencer ; corrigez-le avant de facturer.
billing-overflow = un montant est trop grand pour être calculé (passage { $session }).

## En-têtes de colonnes

column-code = Code
column-name = Nom
column-category = Catégorie
column-instrument = Instrument
column-from = À partir du
column-covered = Pris en charge
column-hourly = Tarif horaire
column-per_sample = Par échantillon
column-login = Identifiant
column-level = Niveau
column-group = Groupe
column-active = Actif
column-id = ID
column-address = Adresse
column-removed = Retiré
column-operator = Opérateur
column-start = Début
column-end = Fin
column-kind = Type
column-samples = Échantillons
column-observations = Observations
column-duration = Durée
column-pricing = Facturation
column-amount = Montant

## Membres et état

member-removed = Nœud { $name } ({ $id }) retiré de la plateforme ; chaque nœud le refuse dès que la modification lui est parvenue.
member-this-node = (ce nœud)
status-running = Ce nœud : { $node } (en marche, processus { $pid })
status-stopped = Ce nœud : { $node } (arrêté : aucun pair n'est connecté ; lancez-le avec `progmanager run`)
status-clock-warning = Attention : l'horloge de { $name } diffère de celle de ce nœud de { $seconds } s, au-delà de la tolérance de { $tolerance } s. Les heures des passages viennent de l'horloge du nœud qui les enregistre : remettez les horloges à l'heure.
yes = oui
no = non
error-unknown-member = nœud membre « { $id } » inconnu. `progmanager member list` affiche les identifiants des nœuds.
error-remove-self = un nœud ne peut pas se retirer lui-même ; retirez-le depuis un autre nœud membre.
column-last_contact = Dernier contact
column-connected = Connecté
column-last_sync = Dernière synchronisation
column-in_sync = Synchronisé
column-clock_skew = Écart d'horloge (s)

## Sécurité et maintenance

action-log-in = se connecter
action-edit-sessions = corriger des passages
action-view-logs = consulter le journal
action-view-history = consulter l'historique des enregistrements
user-enabled = Utilisateur { $login } réactivé.
user-disabled = Utilisateur { $login } désactivé : il ne peut plus se connecter.
session-edited = Passage { $id } corrigé : { $fields }.
error-login-locked = l'identifiant « { $login } » est bloqué sur ce nœud après trop d'échecs ; réessayez dans { $minutes } minutes.
error-unknown-session = passage « { $id } » inconnu. `progmanager sessions` affiche les identifiants des passages.
error-unknown-record = aucun passage, instrument, groupe de facturation, utilisateur, tarif ou nœud n'a l'identifiant « { $id } ».
error-invalid-backup = { $path } n'est pas une sauvegarde valide : { $reason }.
error-no-backup-folder = aucun dossier de sauvegarde : indiquez --to DOSSIER, ou définissez-en un avec `progmanager backup --set-dir DOSSIER`.
logs-saved = { $count } fichiers journaux enregistrés dans { $file }.
backup-configured = Dossier de sauvegarde { $dir } : une sauvegarde toutes les { $minutes } minutes ou après { $changes } modifications, les { $keep } plus récentes conservées.
backup-done = Sauvegarde écrite et vérifiée : { $file } ({ $documents } documents, { $rows } lignes de modifications ; { $removed } sauvegardes anciennes supprimées).
restore-done = Stockage restauré depuis { $file } ; l'ancien stockage est conservé sous { $kept }. Lancez le nœud avec `progmanager run` : il se met à jour auprès de ses pairs.
field-start = début (attendu : AAAA-MM-JJ HH:MM, heure locale)
field-end = fin (attendu : AAAA-MM-JJ HH:MM, heure locale, pas avant le début)
column-time = Date
column-user = Utilisateur
column-node = Nœud
column-field = Champ
column-old = Ancienne valeur
column-new = Nouvelle valeur

## Grilles tarifaires

tariff-imported = { $count } versions de tarif importées depuis { $file }.
tariff-chosen = Conflit réglé : le tarif de { $instrument } pour { $category } est maintenant { $rule }.
tariff-none = Aucun tarif pour l'instrument { $instrument }.
tariff-conflict = Conflit : le tarif de { $instrument } pour { $category } (à partir du { $from }) a été modifié sur deux nœuds à la fois ; { $count } valeurs existent. Gardez-en une avec `progmanager tariff choose --instrument { $instrument } --category { $category } N` :
tariff-has-periods = tarifs par période
tariff-has-packages = forfaits
tariff-has-kinds = prix par type
tariff-has-minimum = minimums
tariff-has-caps = plafonds ou paliers
tariff-has-vat = TVA
tariff-grid-syntax = { $file }, ligne { $line } : grille invalide à « { $field } » = « { $value } » : { $detail }. Rien n'a été importé.
tariff-grid-invalid-rule = { $file }, ligne { $line } : tarif de { $instrument } pour { $category } : { $field } « { $value } » invalide : { $detail }. Rien n'a été importé.
tariff-grid-duplicate = { $file }, ligne { $line } : le tarif de { $instrument } pour { $category } est déjà défini à la ligne { $first } ; gardez-en un seul. Rien n'a été importé.
error-no-tariff-conflict = le tarif de { $instrument } pour { $category } n'a pas de valeurs en conflit ; `progmanager tariff show --instrument { $instrument }` affiche les conflits.
field-choice = choix (le numéro d'une valeur affichée par `tariff show`)
field-rule = règle de tarif
field-format = format
column-rule = Règle

## Compteur d'utilisation

action-edit-programs = définir les programmes de pilotage
error-observations-required = l'instrument { $instrument } demande des observations pour arrêter un passage : indiquez --observations TEXTE.
error-unknown-program = l'instrument { $instrument } n'a pas de programme « { $name } ». `progmanager program list` affiche les programmes.
error-program-needs-node = un passage avec programme demande que le nœud de l'instrument tourne (`progmanager run`), car c'est lui qui lance et surveille le programme. Rien n'a été enregistré.
error-program-already-running = le programme « { $name } » tourne déjà et n'admet qu'une instance ; arrêtez d'abord son passage.
error-program-not-launched = le nœud n'a pas lancé le programme « { $name } » : { $reason }. Le passage a été clos et signalé pour vérification.
program-launched = Programme { $name } lancé (processus { $pid }) ; le fermer arrête le compteur.
program-launch-timeout = le nœud en marche n'a pas répondu en 15 s
program-added = Programme { $name } de { $instrument } enregistré ({ $mode }).
entry-added = { $kind } écrit dans le cahier de { $instrument }.
entry-kind-incident = Incident
entry-kind-maintenance = Maintenance
entry-kind-safety = Sécurité
entry-kind-session = Passage
review-reason-closed-at-heartbeat = clos à son dernier signal de vie après une panne ou une coupure de courant
review-reason-over-max-length = plus long que le maximum de l'instrument (déconnexion oubliée ?)
review-reason-node-stopped = clos à l'arrêt du nœud
review-reason-program-failed = le programme de pilotage a échoué ou s'est fermé
review-resolved = Passage { $id } réglé (fin { $end }) ; il sera facturé.
invoice-held-sessions = attention : { $count } passages de la période attendent une vérification et ne sont pas facturés : voir `progmanager review list`.
field-mode = mode (attendu : light ou heavy)
field-entry_kind = type d'entrée (attendu : incident, maintenance ou safety)
field-text = texte (il ne doit pas être vide)
field-program = nom de programme (lettres, chiffres, - _ .)
column-mode = Mode
column-command = Commande
column-args = Arguments
column-multiple = Plusieurs instances
column-text = Texte
column-reason = Motif
