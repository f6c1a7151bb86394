# progmanager messages, English. Every message here exists in fr/progmanager.ftl too.

error-prefix = error: { $message }
default-facility-name = Instrument facility

## Errors

error-not-initialized = data directory { $dir } holds no node. Create one with `progmanager init --name NAME --admin LOGIN`, or start with `progmanager run`, which creates one with defaults.
error-already-initialized = data directory { $dir } already holds a node; choose another directory with --data-dir.
error-already-running = another node is already running on data directory { $dir } (process { $pid }). Stop it first, or use another directory with --data-dir. Other commands work while it runs.
error-node-not-running = no node is running on this data directory, so its address is unknown: start it with `progmanager run`, or give the address with --address HOST:PORT.
error-io = { $path }: { $detail }
error-store = database error: { $detail }
error-identity = node identity: { $detail }
error-user-required = this command acts for a user: give --user LOGIN (or set PROGMANAGER_USER).
error-login-failed = login failed for user "{ $login }": unknown user or wrong password.
error-password-missing = no password given: set { $variable } or run the command in a terminal.
error-password-mismatch = the two passwords differ; nothing was changed.
error-unknown-instrument = unknown instrument "{ $code }". Add it with `progmanager instrument add { $code }`.
error-unknown-group = unknown billing group "{ $code }". Add it with `progmanager group add { $code } --category CATEGORY`.
error-unknown-user = unknown user "{ $login }".
error-user-exists = user "{ $login }" already exists.
error-invalid-value = invalid { $field }: "{ $value }".
error-instrument-busy = instrument { $instrument } is in use by { $operator } since { $since }. Stop that session first with `progmanager session stop --instrument { $instrument }`.
error-no-open-session = no running session on instrument { $instrument }.
error-invalid-invitation = invalid invitation: { $reason }. Ask for a new one with `progmanager invite` on a member node.
error-join-rejected = the inviting node rejected the invitation: { $reason }. Ask for a new one with `progmanager invite`.
error-join-failed = joining the facility failed: { $detail }. Check that the inviting node is running (`progmanager run`) and reachable, then run the same command again.
error-network = network error: { $detail }
error-schema = the stored data is invalid: { $detail }

denied-disabled = permission denied: user "{ $login }" is disabled.
denied-level = permission denied: "{ $action }" needs level { $required }, and user "{ $login }" has level { $level }. Ask an administrator.
denied-other-group = permission denied: user "{ $login }" may record sessions only for their own group { $own }, not { $requested }. A level 2 user or an administrator may record for any group.

action-record-session = record a session
action-record-unbilled-session = record an unbilled session
action-stop-session = stop another user's session
action-edit-instruments = edit instruments
action-edit-groups = edit billing groups
action-edit-tariffs = edit tariffs
action-edit-users = edit users
action-edit-settings = edit settings
action-import-logbook = import a logbook
action-view-invoices = view invoices
action-manage-members = manage member nodes

field-category = category (expected internal, public-cnrs, public-other, industrial or other)
field-hourly = hourly amount (expected a positive number such as 30.00)
field-per_sample = amount per sample (expected a positive number such as 23.30)
field-from = date (expected YYYY-MM-DD)
field-to = date (expected YYYY-MM-DD, not before --from)
field-instrument = instrument code (letters, digits, - _ .)
field-group = billing group code (letters, digits, - _ .)
field-login = login (letters, digits, - _ .)
field-timezone = time zone (expected an IANA name such as Europe/Paris)
field-password = password (it must not be empty)
field-level = level (expected 1, 2 or 3)
field-listen = listen address (expected IP:PORT such as 0.0.0.0:4820)
field-admin = administrator login

## Logbook import

import-invalid-rows = { $file }: { $count ->
        [one] 1 invalid row
       *[other] { $count } invalid rows
    }; nothing was imported. Fix the file and import it again:
import-row-error = { $file }, line { $line }, column "{ $column }": { $detail }
import-line-error = { $file }, line { $line }: { $detail }
import-unknown-groups = { $file }: these billing groups do not exist; nothing was imported. Add them with `progmanager group add`, or import with --create-groups CATEGORY:
import-unknown-group-line = { $file }, line { $line }: unknown group "{ $code }"
import-warning-duplicate = warning: { $file }, line { $line }: this session is already recorded; skipped.
import-warning-midnight = warning: { $file }, line { $line }: the end is before the start, so the session is taken to end the next day.
import-warning-overlap = warning: { $file }, line { $line }: the session overlaps the one of line { $other }.
import-warning-overlap-existing = warning: { $file }, line { $line }: the session overlaps a session already recorded on this instrument.
import-groups-created = Billing groups created: { $groups }
import-done = { $count } sessions imported on { $instrument } ({ $skipped } already recorded).

logbook-empty-file = the file is empty; expected a header line: date, opérateur, groupe, début, fin, type, observations
logbook-column-date = date
logbook-column-operator = opérateur (or operator)
logbook-column-group = groupe (or group)
logbook-column-start = début (or start)
logbook-column-end = fin (or end)
logbook-column-kind = type (or kind)
logbook-column-observations = observations
logbook-missing-column = the column "{ $value }" is missing from the header
logbook-unknown-column = unknown column "{ $value }"; expected date, opérateur, groupe, début, fin, type, observations
logbook-duplicate-column = the column "{ $value }" appears twice
logbook-wrong-field-count = the line has { $found } tab-separated fields where the header has { $expected }
logbook-empty-field = the field is empty
logbook-invalid-date = invalid date "{ $value }" (expected d/m/yy such as 2/6/10)
logbook-invalid-time = invalid time "{ $value }" (expected a time such as 14h, 14.30h or 14:30)
logbook-nonexistent-local-time = the time "{ $value }" does not exist that day (the clocks went forward)
logbook-zero-duration = the session ends when it starts ("{ $value }")

## Commands

prompt-password = Password for { $login }: 
prompt-new-password = New password for { $login }: 
prompt-password-again = Type it again: 
init-created = Facility "{ $facility }" created in { $dir }, with administrator "{ $admin }". Start the node with `progmanager run`.
init-joined = This node joined the facility and holds a copy of its data, in { $dir }. Start it with `progmanager run`.
invite-created = Invitation valid for { $hours } hours, for a node that will dial { $address }. On the new node, run: progmanager init --name NAME --join INVITATION
run-started = Node { $node } running, data in { $dir }. Sync on { $listen } (peers dial { $address }). Stop with Ctrl+C.
first-run-created = No node was found in { $dir }, so a new facility was created there, with this node named "{ $node }".
first-run-admin-generated = Log in as administrator with login "{ $login }" and password "{ $password }" (shown only now). Give it to commands as: progmanager --user { $login } ..., with PROGMANAGER_PASSWORD set or at the prompt. Change it with `progmanager --user { $login } user passwd` (new password from { $variable } or a prompt).
first-run-admin-env = Log in as administrator with login "{ $login }" and the password you gave in { $variable }.
instrument-added = Instrument { $code } ({ $name }) saved.
group-added = Billing group { $code } saved, category { $category }.
tariff-set = Tariff of { $instrument } for { $category } saved: { $rule }.
tariff-covered = covered (nothing to pay)
tariff-hourly = { $amount } per hour
tariff-per-sample = { $amount } per sample
user-added = User { $login } added, level { $level }.
user-password-changed = Password of { $login } changed.
session-started = Session started on { $instrument } for { $group } at { $start } (ID { $id }).
session-stopped = Session on { $instrument } stopped at { $end }; duration { $duration }.
session-running = running

## Invoices

invoice-title = Invoice from { $from } to { $to } (times in { $timezone })
invoice-empty = No session in this period.
invoice-group-heading = Group { $group } ({ $name }), category { $category }
invoice-group-total = Group total
invoice-group-total-line = Total for { $group }: { $total }
invoice-total = Total
invoice-total-line = Grand total: { $total }
invoice-open-sessions = warning: { $count } sessions of the period are still running and are not billed.
pricing-charged = charged
pricing-covered = covered
pricing-unbilled = not billed
billing-unknown-group = session { $session } is billed to the unknown group "{ $group }". Add the group with `progmanager group add`.
billing-missing-tariff = no tariff for instrument { $instrument } and category { $category } (session { $session }). Set one with `progmanager tariff set --instrument { $instrument } --category { $category }`.
billing-end-before-start = session { $session } ends before it starts; correct it before billing.
billing-overflow = an amount is too large to compute (session { $session }).

## Column headings

column-code = Code
column-name = Name
column-category = Category
column-instrument = Instrument
column-from = From
column-covered = Covered
column-hourly = Hourly rate
column-per_sample = Per sample
column-login = Login
column-level = Level
column-group = Group
column-active = Active
column-id = ID
column-address = Address
column-removed = Removed
column-operator = Operator
column-start = Start
column-end = End
column-kind = Kind
column-samples = Samples
column-observations = Observations
column-duration = Duration
column-pricing = Pricing
column-amount = Amount

## Members and status

member-removed = Node { $name } ({ $id }) removed from the facility; every node refuses it once the change has reached it.
member-this-node = (this node)
status-running = This node: { $node } (running, process { $pid })
status-stopped = This node: { $node } (not running: peers are not connected; start it with `progmanager run`)
status-clock-warning = Warning: the clock of { $name } differs from this node's by { $seconds } s, more than the tolerance of { $tolerance } s. Session times come from the clock of the node that records them: set the clocks right.
yes = yes
no = no
error-unknown-member = unknown member node "{ $id }". `progmanager member list` shows the node IDs.
error-remove-self = a node cannot remove itself; remove it from another member node.
column-last_contact = Last contact
column-connected = Connected
column-last_sync = Last sync
column-in_sync = In sync
column-clock_skew = Clock difference (s)

## Security and maintenance

action-log-in = log in
action-edit-sessions = correct sessions
action-view-logs = view the log
action-view-history = view the history of records
user-enabled = User { $login } enabled.
user-disabled = User { $login } disabled: they can no longer log in.
session-edited = Session { $id } corrected: { $fields }.
error-login-locked = login "{ $login }" is locked on this node after too many failed attempts; try again in { $minutes } minutes.
error-unknown-session = unknown session "{ $id }". `progmanager sessions` shows the session IDs.
error-unknown-record = no session, instrument, billing group, user, tariff or node has the ID "{ $id }".
error-invalid-backup = { $path } is not a valid backup: { $reason }.
error-no-backup-folder = no backup folder: give --to DIR, or set one with `progmanager backup --set-dir DIR`.
logs-saved = { $count } log files saved into { $file }.
backup-configured = Backup folder { $dir }: a backup every { $minutes } minutes or after { $changes } changes, the { $keep } newest kept.
backup-done = Backup written and verified: { $file } ({ $documents } documents, { $rows } change rows; { $removed } older backups removed).
restore-done = Store restored from { $file }; the previous store is kept as { $kept }. Start the node with `progmanager run`: it catches up from its peers.
field-start = start (expected YYYY-MM-DD HH:MM, local time)
field-end = end (expected YYYY-MM-DD HH:MM, local time, not before the start)
column-time = Time
column-user = User
column-node = Node
column-field = Field
column-old = Old value
column-new = New value

## Tariff grids

tariff-imported = { $count } tariff versions imported from { $file }.
tariff-chosen = Conflict settled: the tariff of { $instrument } for { $category } is now { $rule }.
tariff-none = No tariff for instrument { $instrument }.
tariff-conflict = Conflict: the tariff of { $instrument } for { $category } (from { $from }) was edited on two nodes at once; { $count } values exist. Keep one with `progmanager tariff choose --instrument { $instrument } --category { $category } N`:
tariff-has-periods = rates by period
tariff-has-packages = packages
tariff-has-kinds = prices by kind
tariff-has-minimum = minimums
tariff-has-caps = caps or tiers
tariff-has-vat = VAT
tariff-grid-syntax = { $file }, line { $line }: invalid grid at "{ $field }" = "{ $value }": { $detail }. Nothing was imported.
tariff-grid-invalid-rule = { $file }, line { $line }: tariff of { $instrument } for { $category }: invalid { $field } "{ $value }": { $detail }. Nothing was imported.
tariff-grid-duplicate = { $file }, line { $line }: the tariff of { $instrument } for { $category } is already defined at line { $first }; keep one of them. Nothing was imported.
error-no-tariff-conflict = the tariff of { $instrument } for { $category } has no conflicting values; `progmanager tariff show --instrument { $instrument }` lists the conflicts.
field-choice = choice (the number of a value that `tariff show` lists)
field-rule = tariff rule
field-format = format
column-rule = Rule

## Usage counter

action-edit-programs = define control programs
error-observations-required = instrument { $instrument } requires observations to stop a session: give --observations TEXT.
error-unknown-program = instrument { $instrument } has no program "{ $name }". `progmanager program list` shows the programs.
error-program-needs-node = a session with a program needs the node of this instrument to run (`progmanager run`), because the node launches and watches the program. Nothing was recorded.
error-program-already-running = program "{ $name }" already runs and allows only one instance; stop its session first.
error-program-not-launched = the node did not launch program "{ $name }": { $reason }. The session was closed and flagged for review.
program-launched = Program { $name } launched (process { $pid }); closing it stops the counter.
program-launch-timeout = the running node did not answer within 15 s
program-added = Program { $name } of { $instrument } saved ({ $mode }).
entry-added = { $kind } written in the notebook of { $instrument }.
entry-kind-incident = Incident
entry-kind-maintenance = Maintenance
entry-kind-safety = Safety
entry-kind-session = Session
review-reason-closed-at-heartbeat = closed at its last heartbeat after a crash or power cut
review-reason-over-max-length = longer than the instrument's maximum (forgotten logout?)
review-reason-node-stopped = closed when the node stopped
review-reason-program-failed = the control program failed or exited
review-resolved = Session { $id } settled (end { $end }); it will be billed.
invoice-held-sessions = warning: { $count } sessions of the period await review and are not billed: see `progmanager review list`.
field-mode = mode (expected light or heavy)
field-entry_kind = entry kind (expected incident, maintenance or safety)
field-text = text (it must not be empty)
field-program = program name (letters, digits, - _ .)
column-mode = Mode
column-command = Command
column-args = Arguments
column-multiple = Several instances
column-text = Text
column-reason = Reason
