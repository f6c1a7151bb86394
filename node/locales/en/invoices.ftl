# Invoice issuing and exports, English. Every message here exists in fr/invoices.ftl too.

## Errors

invoices-error-not-office = this node is not the billing office: invoices and credit notes are issued on node { $office } ({ $name }). Run the command on that node, or make this node the billing office with `progmanager invoice office NODE-ID` once it has synced with it.
invoices-error-no-office = the facility has no billing office. Choose one with `progmanager invoice office NODE-ID`.
invoices-error-removed-node = node { $id } was removed from the facility and cannot be the billing office. `progmanager member list` shows the members.
invoices-error-unknown = no invoice or credit note has the number "{ $number }". `progmanager invoice list` shows the issued ones.
invoices-error-invalid-number = invalid invoice number "{ $value }": expected YEAR-SEQUENCE such as 2026-0001.
invoices-error-already-credited = invoice { $number } was already cancelled by credit note { $credit }.
invoices-error-not-an-invoice = { $number } is a credit note, not an invoice: only an invoice can be credited.
invoices-error-nothing = nothing to invoice from { $from } to { $to }: the period has no closed session that an issued invoice does not already bill.
invoices-error-session-invoiced = session { $session } is billed by issued invoice { $invoice }, so it cannot be changed. Issue a credit note first with `progmanager invoice credit { $invoice }`, then correct the session and invoice it again.
invoices-error-issued-meanwhile = session { $session } was invoiced on { $invoice } while this invoice was being prepared; nothing was issued. Run the command again.
invoices-error-output-required = the { $format } format is written to a file: give --output FILE.

## Breakdown of a line's amount

breakdown-covered = covered by the tariff of this category
breakdown-not-billable = marked not billable
breakdown-unbilled-kind = sessions of kind "{ $kind }" are not billed
breakdown-time-rounding = { $elapsed } elapsed, billed { $billed }
breakdown-minimum-time = billed time raised from { $before } to the minimum of { $minimum }
breakdown-overrun = { $overrun } past the booked end ({ $booked_end }), billed { $billed } in steps of { $step } min
breakdown-segment = { $start }–{ $end } { $period }: { $duration } × { $hourly }/h = { $amount }
breakdown-package = package { $name } ({ $start }–{ $end }): { $price }
breakdown-unknown-package = package "{ $name }" is not offered by the tariff, billed without it
breakdown-tier = { $duration } at { $hourly }/h (volume tier beyond { $after } h, { $before } h used before)
breakdown-samples = { $count } samples × { $rate } = { $amount }
breakdown-session-fee = session fee { $amount }
breakdown-multiplier = category factor × { $factor }: { $before } → { $after }
breakdown-surcharge = surcharge { $percent } %: + { $amount }
breakdown-discount = discount { $percent } %: − { $amount }
breakdown-minimum-amount = { $computed } raised to the minimum amount of { $minimum }
breakdown-rounding = { $exact } rounded to { $rounded }
breakdown-cap = { $period } cap of { $cap } from { $start } ({ $already } already billed): { $before } → { $after }
breakdown-vat = VAT { $percent } %: { $amount }
breakdown-period-default = normal rate
breakdown-period-weekend = weekend rate
breakdown-period-holiday = holiday rate
breakdown-calendar-day = daily
breakdown-calendar-month = monthly
breakdown-calendar-quarter = quarterly
breakdown-calendar-year = yearly

## Documents

invoices-title-preview = Invoice preview (not issued)
invoices-title-invoice = Invoice { $number }
invoices-title-credit-note = Credit note { $number }
invoices-header-facility = Facility: { $name }
invoices-header-date = Date of issue: { $date }
invoices-header-period = Period: { $from } to { $to } (times in { $timezone })
invoices-header-credits = Cancels invoice { $number }
invoices-header-credited = Cancelled by credit note { $number }
invoices-group-heading = Group { $group } ({ $name }), category { $category }
invoices-category-internal = internal
invoices-category-public-cnrs = external public, CNRS
invoices-category-public-other = external public, not CNRS
invoices-category-industrial = industrial
invoices-category-other = other
invoices-column-vat = VAT
invoices-column-amount_including_vat = Including VAT
invoices-column-computation = Computation
invoices-column-note = Note
invoices-note-invoiced = already billed by invoice { $number }
invoices-note-changed = session changed since the issue
invoices-note-removed = session removed since the issue
invoices-group-total = Total { $group }
invoices-grand-total = Grand total
invoices-totals-line = { $label }: { $total } before VAT, VAT { $vat }, { $including } including VAT
invoices-empty = No session in this period.

## Commands

invoices-preview-invoiced = note: { $count } lines are already billed by an issued invoice; `--issue` leaves them out.
invoices-left-out = left out: session { $session } is already billed by invoice { $number }.
invoices-issued = Invoice { $number } issued: { $lines } lines, { $total } before VAT, { $including } including VAT.
invoices-credit-issued = Credit note { $number } issued for invoice { $credits }: { $total } before VAT, { $including } including VAT. Its sessions can be invoiced again.
invoices-written = Written to { $path }.
invoices-changed-warning = warning: { $count } sessions of invoice { $number } changed after it was issued (edited on a node that did not know of the invoice yet); they are flagged below. Credit the invoice and issue a new one if the change must be billed.
invoices-list-number = Number
invoices-list-kind = Kind
invoices-list-date = Date
invoices-list-from = From
invoices-list-to = To
invoices-list-group = Group
invoices-list-total = Before VAT
invoices-list-vat = VAT
invoices-list-including = Including VAT
invoices-list-status = Status
invoices-kind-invoice = invoice
invoices-kind-credit-note = credit note
invoices-status-credited = cancelled by { $number }
invoices-status-credits = cancels { $number }
invoices-office-default = Billing office: node { $node } ({ $name }), the node that created the facility, because no administrator chose one.
invoices-office-chosen = Billing office: node { $node } ({ $name }).
invoices-office-set = Node { $node } ({ $name }) is now the billing office; the change reaches the other nodes when they sync.
invoices-office-this-node = This node is the billing office.
