package store

// migrations are applied in order; the index+1 is the schema version stored
// in PRAGMA user_version. Never edit a migration that has shipped: append.
var migrations = []string{
	// 1: the walking skeleton's schema.
	`
CREATE TABLE mailboxes (
	id            INTEGER PRIMARY KEY,
	account       TEXT    NOT NULL,
	name          TEXT    NOT NULL,
	delim         TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL DEFAULT '',
	attrs         TEXT    NOT NULL DEFAULT '',
	subscribed    INTEGER NOT NULL DEFAULT 1,
	selectable    INTEGER NOT NULL DEFAULT 1,
	uidvalidity   INTEGER NOT NULL DEFAULT 0,
	uidnext       INTEGER NOT NULL DEFAULT 0,
	highestmodseq INTEGER NOT NULL DEFAULT 0,
	server_total  INTEGER NOT NULL DEFAULT 0,
	server_unread INTEGER NOT NULL DEFAULT 0,
	synced_at     INTEGER NOT NULL DEFAULT 0,
	UNIQUE (account, name)
);

CREATE TABLE messages (
	id              INTEGER PRIMARY KEY,
	account         TEXT    NOT NULL,
	mailbox_id      INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
	uidvalidity     INTEGER NOT NULL,
	uid             INTEGER NOT NULL,
	modseq          INTEGER NOT NULL DEFAULT 0,
	flags           TEXT    NOT NULL DEFAULT '',
	seen            INTEGER NOT NULL DEFAULT 0,
	flagged         INTEGER NOT NULL DEFAULT 0,
	answered        INTEGER NOT NULL DEFAULT 0,
	draft           INTEGER NOT NULL DEFAULT 0,
	internal_date   INTEGER NOT NULL DEFAULT 0,
	size            INTEGER NOT NULL DEFAULT 0,
	date            INTEGER NOT NULL DEFAULT 0,
	subject         TEXT    NOT NULL DEFAULT '',
	from_addr       TEXT    NOT NULL DEFAULT '[]',
	to_addr         TEXT    NOT NULL DEFAULT '[]',
	cc_addr         TEXT    NOT NULL DEFAULT '[]',
	reply_to        TEXT    NOT NULL DEFAULT '[]',
	message_id      TEXT    NOT NULL DEFAULT '',
	in_reply_to     TEXT    NOT NULL DEFAULT '',
	refs            TEXT    NOT NULL DEFAULT '',
	has_attachments INTEGER NOT NULL DEFAULT 0,
	preview         TEXT    NOT NULL DEFAULT '',
	has_body        INTEGER NOT NULL DEFAULT 0,
	UNIQUE (mailbox_id, uidvalidity, uid)
);
CREATE INDEX messages_by_date ON messages (mailbox_id, internal_date DESC, uid DESC);
CREATE INDEX messages_unread ON messages (mailbox_id, seen);
CREATE INDEX messages_no_body ON messages (account, has_body);

CREATE TABLE bodies (
	message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
	raw        BLOB NOT NULL
);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
	subject, addresses, body,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE pending_actions (
	id          INTEGER PRIMARY KEY,
	account     TEXT    NOT NULL,
	mailbox_id  INTEGER NOT NULL,
	uidvalidity INTEGER NOT NULL,
	uid         INTEGER NOT NULL,
	kind        TEXT    NOT NULL,
	arg         TEXT    NOT NULL DEFAULT '',
	created     INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX pending_by_account ON pending_actions (account, id);
CREATE INDEX pending_by_message ON pending_actions (mailbox_id, uidvalidity, uid);

CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	account      TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	mail_from    TEXT    NOT NULL,
	rcpts        TEXT    NOT NULL,
	raw          BLOB    NOT NULL,
	created      INTEGER NOT NULL,
	next_attempt INTEGER NOT NULL DEFAULT 0,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT    NOT NULL DEFAULT '',
	rcpt_status  TEXT    NOT NULL DEFAULT '{}'
);
`,
	// 2: the outbox's display fields; outbox times are unix milliseconds.
	`
ALTER TABLE outbox ADD COLUMN subject    TEXT    NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN message_id TEXT    NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN size       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN updated    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN sent_at    INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
`,
	// 3: messages hidden locally while a move or delete waits for the server.
	`
ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
`,
	// 4: indexes that know about hidden rows, so that counts and pages
	// stay inside the index.
	`
DROP INDEX messages_by_date;
DROP INDEX messages_unread;
CREATE INDEX messages_by_date ON messages (mailbox_id, hidden, internal_date DESC, uid DESC);
CREATE INDEX messages_unread ON messages (mailbox_id, hidden, seen);
`,
	// 5: the composer: the addresses seen in messages (for autocomplete,
	// kept up to date by a trigger so that a lookup never scans messages)
	// and local drafts with their attachments.
	`
CREATE TABLE addresses (
	account   TEXT    NOT NULL,
	email     TEXT    NOT NULL, -- lower case
	name      TEXT    NOT NULL DEFAULT '',
	uses      INTEGER NOT NULL DEFAULT 0, -- messages it appears in (From, To, Cc)
	sent      INTEGER NOT NULL DEFAULT 0, -- of which as a recipient in the Sent folder
	last_used INTEGER NOT NULL DEFAULT 0, -- the newest such message's date, unix seconds
	PRIMARY KEY (account, email)
) WITHOUT ROWID;

INSERT INTO addresses (account, email, name, uses, sent, last_used)
SELECT account, email, name, count(*), sum(sent), max(date) FROM (
	SELECT m.account AS account, lower(trim(json_extract(j.value, '$.e'))) AS email,
		coalesce(json_extract(j.value, '$.n'), '') AS name, m.date AS date, 0 AS sent
	FROM messages m, json_each(CASE WHEN json_valid(m.from_addr) THEN m.from_addr ELSE '[]' END) j
	UNION ALL
	SELECT m.account, lower(trim(json_extract(j.value, '$.e'))), coalesce(json_extract(j.value, '$.n'), ''), m.date,
		coalesce((SELECT role = 'sent' FROM mailboxes WHERE id = m.mailbox_id), 0)
	FROM messages m, json_each(CASE WHEN json_valid(m.to_addr) THEN m.to_addr ELSE '[]' END) j
	UNION ALL
	SELECT m.account, lower(trim(json_extract(j.value, '$.e'))), coalesce(json_extract(j.value, '$.n'), ''), m.date,
		coalesce((SELECT role = 'sent' FROM mailboxes WHERE id = m.mailbox_id), 0)
	FROM messages m, json_each(CASE WHEN json_valid(m.cc_addr) THEN m.cc_addr ELSE '[]' END) j
) WHERE email LIKE '%_@_%'
GROUP BY account, email;

CREATE TRIGGER addresses_on_message AFTER INSERT ON messages BEGIN
	INSERT INTO addresses (account, email, name, uses, sent, last_used)
	SELECT NEW.account, email, name, 1, sent, NEW.date FROM (
		SELECT lower(trim(json_extract(value, '$.e'))) AS email, coalesce(json_extract(value, '$.n'), '') AS name,
			(rcpt AND coalesce((SELECT role = 'sent' FROM mailboxes WHERE id = NEW.mailbox_id), 0)) AS sent
		FROM (SELECT value, 0 AS rcpt FROM json_each(CASE WHEN json_valid(NEW.from_addr) THEN NEW.from_addr ELSE '[]' END)
			UNION ALL SELECT value, 1 FROM json_each(CASE WHEN json_valid(NEW.to_addr) THEN NEW.to_addr ELSE '[]' END)
			UNION ALL SELECT value, 1 FROM json_each(CASE WHEN json_valid(NEW.cc_addr) THEN NEW.cc_addr ELSE '[]' END))
	) WHERE email LIKE '%_@_%'
	ON CONFLICT (account, email) DO UPDATE SET
		uses = uses + 1,
		sent = sent + excluded.sent,
		name = CASE WHEN excluded.name <> '' AND (name = '' OR excluded.last_used >= last_used) THEN excluded.name ELSE name END,
		last_used = max(last_used, excluded.last_used);
END;

CREATE TABLE drafts (
	id          INTEGER PRIMARY KEY,
	account     TEXT    NOT NULL,
	from_addr   TEXT    NOT NULL DEFAULT '', -- "Name <email>"
	to_addr     TEXT    NOT NULL DEFAULT '', -- as typed
	cc_addr     TEXT    NOT NULL DEFAULT '',
	bcc_addr    TEXT    NOT NULL DEFAULT '',
	subject     TEXT    NOT NULL DEFAULT '',
	body        TEXT    NOT NULL DEFAULT '',
	in_reply_to TEXT    NOT NULL DEFAULT '',
	refs        TEXT    NOT NULL DEFAULT '', -- space-separated message IDs
	source_id   INTEGER NOT NULL DEFAULT 0,  -- the local message replied to or forwarded
	created     INTEGER NOT NULL,            -- unix milliseconds
	updated     INTEGER NOT NULL
);
CREATE INDEX drafts_by_account ON drafts (account, updated DESC);

CREATE TABLE draft_attachments (
	id           INTEGER PRIMARY KEY,
	draft_id     INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
	pos          INTEGER NOT NULL,
	filename     TEXT    NOT NULL,
	content_type TEXT    NOT NULL DEFAULT '',
	data         BLOB    NOT NULL
);
CREATE INDEX draft_attachments_by_draft ON draft_attachments (draft_id, pos);
`,
	// 6: each mailbox's counts (rows stored, rows shown, unread shown),
	// kept by triggers, so that reading a mailbox or its counts costs the
	// same at 100 messages and at 100,000 (a count over the index took
	// 18 ms at 100k, and every folder sync and list refresh asked for one).
	`
ALTER TABLE mailboxes ADD COLUMN stored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN shown  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET
	stored = (SELECT count(*) FROM messages m WHERE m.mailbox_id = mailboxes.id),
	shown  = (SELECT count(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND m.hidden = 0),
	unread = (SELECT count(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND m.hidden = 0 AND m.seen = 0);

CREATE TRIGGER mailbox_counts_insert AFTER INSERT ON messages BEGIN
	UPDATE mailboxes SET stored = stored + 1, shown = shown + (NEW.hidden = 0),
		unread = unread + (NEW.hidden = 0 AND NEW.seen = 0) WHERE id = NEW.mailbox_id;
END;
CREATE TRIGGER mailbox_counts_delete AFTER DELETE ON messages BEGIN
	UPDATE mailboxes SET stored = stored - 1, shown = shown - (OLD.hidden = 0),
		unread = unread - (OLD.hidden = 0 AND OLD.seen = 0) WHERE id = OLD.mailbox_id;
END;
CREATE TRIGGER mailbox_counts_update AFTER UPDATE OF mailbox_id, hidden, seen ON messages
	WHEN OLD.mailbox_id IS NOT NEW.mailbox_id OR (OLD.hidden = 0) IS NOT (NEW.hidden = 0) OR (OLD.seen = 0) IS NOT (NEW.seen = 0) BEGIN
	UPDATE mailboxes SET stored = stored - 1, shown = shown - (OLD.hidden = 0),
		unread = unread - (OLD.hidden = 0 AND OLD.seen = 0) WHERE id = OLD.mailbox_id;
	UPDATE mailboxes SET stored = stored + 1, shown = shown + (NEW.hidden = 0),
		unread = unread + (NEW.hidden = 0 AND NEW.seen = 0) WHERE id = NEW.mailbox_id;
END;
`,
	// 7: raw bodies live in files beside the database (see bodyFiles):
	// SQLite wrote them at ~60 MB/s (every page twice, through the WAL),
	// files take them at several hundred. A row keeps the file's name and
	// size; a removed or replaced file is listed in body_trash by a trigger,
	// which fires for cascaded deletes too, and removed after the commit.
	// Rows from before keep their raw bytes inline and are still read.
	`
ALTER TABLE bodies ADD COLUMN file TEXT    NOT NULL DEFAULT '';
ALTER TABLE bodies ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
CREATE TABLE body_trash (file TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER body_file_deleted AFTER DELETE ON bodies WHEN OLD.file <> '' BEGIN
	INSERT OR IGNORE INTO body_trash (file) VALUES (OLD.file);
END;
CREATE TRIGGER body_file_replaced AFTER UPDATE OF file ON bodies WHEN OLD.file <> '' AND OLD.file IS NOT NEW.file BEGIN
	INSERT OR IGNORE INTO body_trash (file) VALUES (OLD.file);
END;
`,
	// 8: a pending action remembers its message's Message-ID once the
	// mailbox's UIDVALIDITY changed (ResetMailbox), so that replay can find
	// the message under its new UID instead of dropping the user's action.
	`
ALTER TABLE pending_actions ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
`,
	// 9: full-text index merging that suits how the sync engine writes it:
	// every message is indexed first by its headers and again with its body,
	// which deletes the first entry. Merging was most of the cost of storing
	// bodies; with segments merged 16 at a time instead of 4, and merged to
	// purge deleted entries once half of theirs are (not a tenth), storing
	// bodies took 2.4 times less CPU and searches measured no slower.
	`
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('deletemerge', 50);
`,
	// 10: the bodies of a batch share one file, a pack (see bodyFiles): a
	// row names its file and its offset there, and a file is trashed when
	// the last row naming it goes, which the index on file makes cheap to
	// ask. Files from before are packs of one at offset 0.
	`
ALTER TABLE bodies ADD COLUMN off INTEGER NOT NULL DEFAULT 0;
CREATE INDEX bodies_by_file ON bodies (file) WHERE file <> '';
DROP TRIGGER body_file_deleted;
DROP TRIGGER body_file_replaced;
CREATE TRIGGER body_file_deleted AFTER DELETE ON bodies
WHEN OLD.file <> '' AND NOT EXISTS (SELECT 1 FROM bodies WHERE file = OLD.file) BEGIN
	INSERT OR IGNORE INTO body_trash (file) VALUES (OLD.file);
END;
CREATE TRIGGER body_file_replaced AFTER UPDATE OF file ON bodies
WHEN OLD.file <> '' AND OLD.file IS NOT NEW.file AND NOT EXISTS (SELECT 1 FROM bodies WHERE file = OLD.file) BEGIN
	INSERT OR IGNORE INTO body_trash (file) VALUES (OLD.file);
END;
`,
	// 11: the messages still without a body, in the order MissingBodies
	// takes them (newest first): the index on (account, has_body) made
	// every call sort all of an account's missing bodies to return the
	// first few hundred, so a background body sync cost time quadratic in
	// the size of the mailbox.
	`
DROP INDEX messages_no_body;
CREATE INDEX messages_missing_body ON messages (account, internal_date DESC) WHERE has_body = 0 AND hidden = 0;
`,
	// 12: PutMessages counts the addresses of the messages it inserts
	// (countAddresses) from the lists it has in hand, writing each address
	// of a batch once; the trigger parsed each message's JSON address
	// lists again and upserted every use, and cost 43% of storing headers.
	`
DROP TRIGGER addresses_on_message;
`,
	// 13: \Recent is a flag of one IMAP session, not of the message; the
	// engine no longer stores it, and this drops what earlier syncs kept.
	`
UPDATE messages SET flags = trim(replace(' ' || flags || ' ', ' \Recent ', ' '))
WHERE instr(' ' || flags || ' ', ' \Recent ') > 0;
`,
	// 14: the personal namespace prefix a mailbox's name starts with
	// ("INBOX." on Courier-style servers), which people do not see.
	`
ALTER TABLE mailboxes ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
`,
	// 15: all mail newest first, for searches over all folders (Find walks
	// it and stops when a page is full, where without it every search
	// sorted every message).
	`
CREATE INDEX messages_newest ON messages (internal_date DESC, id DESC) WHERE hidden = 0;
`,
	// 16: conversations. Each message gets a thread when it is stored
	// (threadNew, planThreads): thread_keys maps every Message-ID a message has or
	// names (In-Reply-To, References) and its normalised subject to the
	// account's thread, and thread_seq hands out thread numbers (message
	// IDs can be reused after a delete, thread numbers must not). Rows
	// stored before this migration have thread 0 until Open threads them.
	// The indexes serve a folder's page of conversations, one
	// conversation's messages across folders, and the unified Starred list.
	`
ALTER TABLE messages ADD COLUMN thread_id INTEGER NOT NULL DEFAULT 0;
CREATE TABLE thread_keys (
	account TEXT    NOT NULL,
	key     TEXT    NOT NULL, -- "m:" Message-ID, "s:"/"r:" normalised subject
	thread  INTEGER NOT NULL,
	PRIMARY KEY (account, key)
) WITHOUT ROWID;
CREATE INDEX thread_keys_by_thread ON thread_keys (account, thread);
CREATE TABLE thread_seq (n INTEGER NOT NULL);
INSERT INTO thread_seq (n) VALUES (0);
CREATE INDEX messages_by_thread ON messages (account, thread_id);
CREATE INDEX messages_folder_threads ON messages (mailbox_id, hidden, thread_id, internal_date, uid);
CREATE INDEX messages_flagged ON messages (internal_date DESC) WHERE flagged = 1 AND hidden = 0;
`,
	// 17: each account's last complete sync pass, when it ended and how
	// long it took, for the account health report.
	`
CREATE TABLE sync_passes (
	account  TEXT    PRIMARY KEY,
	finished INTEGER NOT NULL, -- unix seconds
	millis   INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 18: a message whose body the server sent bigger than Tern downloads
	// (the body literal's announced size, 0 for the others): the sync
	// skips it instead of failing its connection on every pass.
	`
ALTER TABLE messages ADD COLUMN too_large INTEGER NOT NULL DEFAULT 0;
`,
	// 19: the highest message ID handed out, so that an ID is never
	// given twice (PutMessages), even after the newest row is deleted.
	`
CREATE TABLE message_seq (n INTEGER NOT NULL);
INSERT INTO message_seq (n) SELECT coalesce(max(id), 0) FROM messages;
`,
}
