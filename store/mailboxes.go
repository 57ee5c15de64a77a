package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Role is the special use of a mailbox (RFC 6154, plus the inbox); the
// zero Role is an ordinary folder. Its string is the word stored in the
// database and shown by the command line.
type Role string

// The roles a mailbox can have.
const (
	RoleInbox   Role = "inbox"
	RoleSent    Role = "sent"
	RoleDrafts  Role = "drafts"
	RoleArchive Role = "archive"
	RoleTrash   Role = "trash"
	RoleJunk    Role = "junk"
	RoleAll     Role = "all"
	RoleFlagged Role = "flagged"
)

// Mailbox is a snapshot of one folder of an account.
type Mailbox struct {
	ID      int64
	Account string
	Name    string // the server's name, e.g. "Projects/Tern"
	Delim   string // hierarchy delimiter, "" when flat
	// Prefix is the server's personal namespace prefix that Name starts
	// with ("INBOX." on Courier-style servers), "" when there is none. It
	// is part of the server's name but not of the name people see.
	Prefix      string
	Role        Role // one of the Role constants, or "" for an ordinary folder
	Attrs       []string
	Subscribed  bool
	Selectable  bool
	UIDValidity uint32
	UIDNext     uint32
	ModSeq      uint64 // HIGHESTMODSEQ at the last sync, 0 without CONDSTORE
	ServerTotal int    // the server's message count at the last sync
	Total       int    // messages in the store
	Unread      int    // unseen messages in the store (the server's count, if higher, until a first sync completes)
	SyncedAt    time.Time
}

// Parts returns the levels of the name people see: the server's name
// without the namespace prefix, split at the delimiter
// ("INBOX.Reisen.Zürich" → "Reisen", "Zürich").
func (m Mailbox) Parts() []string {
	name := m.Name
	if m.Prefix != "" && strings.HasPrefix(name, m.Prefix) && len(name) > len(m.Prefix) {
		name = name[len(m.Prefix):]
	}
	if m.Delim == "" {
		return []string{name}
	}
	return strings.Split(name, m.Delim)
}

// Path returns the name people see, its levels joined by "/"
// ("Reisen/Zürich"), whatever the server's delimiter and prefix.
func (m Mailbox) Path() string { return strings.Join(m.Parts(), "/") }

// Leaf returns the last level of the name people see.
func (m Mailbox) Leaf() string {
	p := m.Parts()
	return p[len(p)-1]
}

// Depth returns how deep the mailbox sits in the hierarchy people see (0
// at the top, the namespace prefix not counted).
func (m Mailbox) Depth() int { return len(m.Parts()) - 1 }

// Parent returns the server name of the folder above this one in the
// hierarchy people see, or "" at the top (a child of the namespace prefix,
// such as "INBOX.Sent", is at the top, not under INBOX).
func (m Mailbox) Parent() string {
	if m.Delim == "" {
		return ""
	}
	i := strings.LastIndex(m.Name, m.Delim)
	if i <= 0 || (m.Prefix != "" && strings.HasPrefix(m.Name, m.Prefix) && i < len(m.Prefix)) {
		return ""
	}
	return m.Name[:i]
}

// roleOrder sorts special folders first, in the order users expect.
var roleOrder = map[Role]int{RoleInbox: 0, RoleDrafts: 1, RoleSent: 2, RoleArchive: 3, RoleFlagged: 4, RoleAll: 5, RoleJunk: 6, RoleTrash: 7}

// SortMailboxes orders mailboxes for display: special folders first, then
// the others by name (so children follow their parent).
func SortMailboxes(boxes []Mailbox) {
	sort.SliceStable(boxes, func(i, j int) bool {
		ri, iok := roleOrder[boxes[i].Role]
		rj, jok := roleOrder[boxes[j].Role]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return strings.ToLower(boxes[i].Name) < strings.ToLower(boxes[j].Name)
	})
}

// SetMailboxes makes the stored folder list of account equal to boxes
// (matched by name): new ones are added, known ones keep their sync state
// and get the new attributes, vanished ones are deleted with their messages.
// It returns the stored mailboxes.
func (db *DB) SetMailboxes(ctx context.Context, account string, boxes []Mailbox) ([]Mailbox, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		keep := map[string]bool{}
		for _, b := range boxes {
			keep[b.Name] = true
			_, err := tx.Exec(`INSERT INTO mailboxes (account, name, delim, prefix, role, attrs, subscribed, selectable)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (account, name) DO UPDATE SET delim=excluded.delim, prefix=excluded.prefix, role=excluded.role,
					attrs=excluded.attrs, subscribed=excluded.subscribed, selectable=excluded.selectable`,
				account, b.Name, b.Delim, b.Prefix, b.Role, strings.Join(b.Attrs, " "), boolInt(b.Subscribed), boolInt(b.Selectable))
			if err != nil {
				return fmt.Errorf("store: save mailbox %q: %w", b.Name, err)
			}
		}
		rows, err := tx.Query(`SELECT id, name FROM mailboxes WHERE account = ?`, account)
		if err != nil {
			return err
		}
		var gone []int64
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return err
			}
			if !keep[name] {
				gone = append(gone, id)
			}
		}
		rows.Close()
		for _, id := range gone {
			if err := deleteMailbox(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.Mailboxes(ctx, account)
}

func deleteMailbox(tx *sql.Tx, id int64) error {
	if _, err := tx.Exec(`DELETE FROM messages_fts WHERE rowid IN (SELECT id FROM messages WHERE mailbox_id = ?)`, id); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM messages WHERE mailbox_id = ?`,
		`DELETE FROM pending_actions WHERE mailbox_id = ?`,
		`DELETE FROM mailboxes WHERE id = ?`,
	} {
		if _, err := tx.Exec(q, id); err != nil {
			return fmt.Errorf("store: delete mailbox: %w", err)
		}
	}
	return nil
}

const mailboxCols = `mb.id, mb.account, mb.name, mb.delim, mb.role, mb.attrs, mb.subscribed, mb.selectable,
	mb.uidvalidity, mb.uidnext, mb.highestmodseq, mb.server_total, mb.synced_at,
	mb.shown, max(mb.unread, CASE WHEN mb.uidnext = 0 THEN mb.server_unread ELSE 0 END), mb.prefix`

func scanMailbox(sc interface{ Scan(...any) error }) (Mailbox, error) {
	var b Mailbox
	var attrs string
	var sub, sel int
	var synced int64
	err := sc.Scan(&b.ID, &b.Account, &b.Name, &b.Delim, &b.Role, &attrs, &sub, &sel,
		&b.UIDValidity, &b.UIDNext, &b.ModSeq, &b.ServerTotal, &synced, &b.Total, &b.Unread, &b.Prefix)
	b.Attrs = splitFlags(attrs)
	b.Subscribed, b.Selectable = sub != 0, sel != 0
	b.SyncedAt = fromUnix(synced)
	return b, err
}

// Mailboxes returns the folders of account in display order
// (see SortMailboxes), with counts.
func (db *DB) Mailboxes(ctx context.Context, account string) ([]Mailbox, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes mb WHERE mb.account = ?`, account)
	if err != nil {
		return nil, fmt.Errorf("store: mailboxes: %w", err)
	}
	defer rows.Close()
	var out []Mailbox
	for rows.Next() {
		b, err := scanMailbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	SortMailboxes(out)
	return out, rows.Err()
}

// Mailbox returns one mailbox by ID.
func (db *DB) Mailbox(ctx context.Context, id int64) (Mailbox, error) {
	b, err := scanMailbox(db.r.QueryRowContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes mb WHERE mb.id = ?`, id))
	if err == sql.ErrNoRows {
		return b, ErrNotFound
	}
	return b, err
}

// MailboxByName returns the mailbox of account with the given name.
func (db *DB) MailboxByName(ctx context.Context, account, name string) (Mailbox, error) {
	b, err := scanMailbox(db.r.QueryRowContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes mb WHERE mb.account = ? AND mb.name = ?`, account, name))
	if err == sql.ErrNoRows {
		return b, ErrNotFound
	}
	return b, err
}

// MailboxByRole returns the mailbox of account with the given role.
func (db *DB) MailboxByRole(ctx context.Context, account string, role Role) (Mailbox, error) {
	b, err := scanMailbox(db.r.QueryRowContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes mb WHERE mb.account = ? AND mb.role = ? ORDER BY mb.id LIMIT 1`, account, role))
	if err == sql.ErrNoRows {
		return b, ErrNotFound
	}
	return b, err
}

// SyncState is what the sync engine remembers about a mailbox between
// passes.
type SyncState struct {
	UIDValidity uint32
	UIDNext     uint32
	ModSeq      uint64
	ServerTotal int
}

// SetSyncState records a completed sync of mailbox id.
func (db *DB) SetSyncState(ctx context.Context, id int64, st SyncState) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE mailboxes SET uidvalidity=?, uidnext=?, highestmodseq=?, server_total=?, synced_at=? WHERE id=?`,
			st.UIDValidity, st.UIDNext, st.ModSeq, st.ServerTotal, time.Now().Unix(), id)
		return err
	})
}

// ResetMailbox drops every cached message of mailbox id (after a
// UIDVALIDITY change) and records the new UIDVALIDITY. Pending actions on
// the dropped messages are kept with their Message-ID, by which replay
// finds each message again under its new UID (see RetargetAction).
func (db *DB) ResetMailbox(ctx context.Context, id int64, uidValidity uint32) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE pending_actions SET message_id = coalesce((SELECT m.message_id FROM messages m
				WHERE m.mailbox_id = pending_actions.mailbox_id AND m.uidvalidity = pending_actions.uidvalidity AND m.uid = pending_actions.uid), '')
			WHERE mailbox_id = ? AND uidvalidity != ? AND message_id = ''`, id, uidValidity); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM messages_fts WHERE rowid IN (SELECT id FROM messages WHERE mailbox_id = ?)`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM messages WHERE mailbox_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE mailboxes SET uidvalidity=?, uidnext=0, highestmodseq=0, server_total=0 WHERE id=?`, uidValidity, id)
		return err
	})
}

// DeleteAccount removes everything stored for account: its folders,
// messages, bodies and their search index, pending actions, outbox,
// drafts with their attachments, the addresses kept for autocomplete,
// the keys that thread its messages and its last complete sync pass.
// A migration that adds a per-account table must add it here (the store
// tests fail otherwise).
func (db *DB) DeleteAccount(ctx context.Context, account string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM messages_fts WHERE rowid IN (SELECT id FROM messages WHERE account = ?)`,
			`DELETE FROM bodies WHERE message_id IN (SELECT id FROM messages WHERE account = ?)`,
			`DELETE FROM messages WHERE account = ?`,
			`DELETE FROM pending_actions WHERE account = ?`,
			`DELETE FROM outbox WHERE account = ?`,
			`DELETE FROM draft_attachments WHERE draft_id IN (SELECT id FROM drafts WHERE account = ?)`,
			`DELETE FROM drafts WHERE account = ?`,
			`DELETE FROM addresses WHERE account = ?`,
			`DELETE FROM thread_keys WHERE account = ?`,
			`DELETE FROM sync_passes WHERE account = ?`,
			`DELETE FROM mailboxes WHERE account = ?`,
		} {
			if _, err := tx.Exec(q, account); err != nil {
				return fmt.Errorf("store: delete account: %w", err)
			}
		}
		return nil
	})
}
