package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Address is a display name and an email address.
type Address struct {
	Name  string `json:"n,omitempty"`
	Email string `json:"e"`
}

// String returns "Name <email>", or the bare address without a name.
func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

// Display returns the name, or the address when there is no name.
func (a Address) Display() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

// Standard IMAP system flags.
const (
	FlagSeen     = `\Seen`
	FlagFlagged  = `\Flagged`
	FlagAnswered = `\Answered`
	FlagDraft    = `\Draft`
	FlagDeleted  = `\Deleted`
)

// Message is a snapshot of one message's headers and state. It is keyed on
// the server by (Account, MailboxID, UIDValidity, UID) and locally by ID.
type Message struct {
	ID             int64
	Account        string
	MailboxID      int64
	UIDValidity    uint32
	UID            uint32
	ModSeq         uint64
	Flags          []string
	InternalDate   time.Time
	Size           int64
	Date           time.Time
	Subject        string
	From           []Address
	To             []Address
	Cc             []Address
	ReplyTo        []Address
	MessageID      string
	InReplyTo      string
	References     []string
	HasAttachments bool
	Preview        string
	HasBody        bool
}

// HasFlag reports whether the message carries flag (case-insensitive).
func (m Message) HasFlag(flag string) bool { return hasFlag(m.Flags, flag) }

// Seen reports whether the message has been read.
func (m Message) Seen() bool { return m.HasFlag(FlagSeen) }

// Flagged reports whether the message is starred.
func (m Message) Flagged() bool { return m.HasFlag(FlagFlagged) }

func hasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// sameFlags reports whether a and b hold the same flags, in any order
// (servers need not keep one).
func sameFlags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		if !hasFlag(b, f) {
			return false
		}
	}
	for _, f := range b {
		if !hasFlag(a, f) {
			return false
		}
	}
	return true
}

func encodeAddrs(a []Address) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

func decodeAddrs(s string) []Address {
	var a []Address
	_ = json.Unmarshal([]byte(s), &a)
	return a
}

func addrText(lists ...[]Address) string {
	var sb strings.Builder
	for _, l := range lists {
		for _, a := range l {
			sb.WriteString(a.Name)
			sb.WriteByte(' ')
			sb.WriteString(a.Email)
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

// PutMessages inserts or updates the headers and flags of msgs, all in
// mailbox mailboxID, in one transaction. Bodies and previews already stored
// are kept. Messages with pending local actions keep their local flags.
// Messages marked \Deleted are stored hidden: on a server without UIDPLUS
// a deleted or moved message stays until some client expunges it, and must
// not come back into the list meanwhile.
func (db *DB) PutMessages(ctx context.Context, account string, mailboxID int64, msgs []Message) error {
	_, err := db.PutMessagesAdded(ctx, account, mailboxID, msgs)
	return err
}

// PutMessagesAdded is PutMessages, and returns the UIDs of the messages
// it added, those the mailbox did not hold under their UIDVALIDITY: of
// writers that store the same new message (the idle connection and a
// sync pass), one adds it, so that it is announced once.
func (db *DB) PutMessagesAdded(ctx context.Context, account string, mailboxID int64, msgs []Message) (added []uint32, err error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		ups := map[int]*sql.Stmt{} // prepared upserts, by how many messages each saves
		defer func() {
			for _, st := range ups {
				st.Close()
			}
		}()
		// Known messages whose flags changed, by UIDVALIDITY.
		var flagUVs []uint32
		flagUps := map[uint32][]FlagUpdate{}
		// Rows with an ID above the highest before are new: their addresses
		// count for autocomplete (a known message updated does not).
		var lastID int64
		var sentBox bool
		if err := tx.QueryRow(`SELECT coalesce(max(id), 0), coalesce((SELECT role = 'sent' FROM mailboxes WHERE id = ?), 0) FROM messages`, mailboxID).Scan(&lastID, &sentBox); err != nil {
			return fmt.Errorf("store: save messages: %w", err)
		}
		// A new row's ID comes from message_seq, never from max(id)+1:
		// SQLite would hand the ID of the newest row, once it is moved
		// away or expunged, to the next message stored, and the window,
		// undo steps and notifications name messages by ID.
		var nextID int64
		if err := tx.QueryRow(`SELECT max(n, ?) FROM message_seq`, lastID).Scan(&nextID); err != nil {
			return fmt.Errorf("store: save messages: %w", err)
		}
		counted := map[int64]bool{}
		var uses []addressUse
		// The new messages are threaded first, so that each row is
		// inserted with its thread.
		threadOf, isNew, err := threadNew(tx, account, mailboxID, msgs)
		if err != nil {
			return err
		}
		for i, m := range msgs {
			if isNew[i] {
				added = append(added, m.UID)
			}
		}
		type key struct{ uidValidity, uid uint32 }
		at := make(map[key]int, min(putChunk, len(msgs)))
		args := make([]any, 0, putCols*min(putChunk, len(msgs)))
		stored := make([]string, min(putChunk, len(msgs)))
		hasBody := make([]bool, min(putChunk, len(msgs)))
		var index []ftsRow
		for start := 0; start < len(msgs); {
			// A chunk ends before a message that repeats one in it, so that
			// each returned row names one message and a repeat updates the
			// row its first copy left, as one statement a message did.
			clear(at)
			n := 0
			for start+n < len(msgs) && n < putChunk {
				m := &msgs[start+n]
				k := key{m.UIDValidity, m.UID}
				if _, dup := at[k]; dup {
					break
				}
				at[k] = n
				n++
			}
			part := msgs[start : start+n]
			start += n
			ins := ups[n]
			if ins == nil {
				var err error
				if ins, err = tx.Prepare(putMessagesSQL(n)); err != nil {
					return fmt.Errorf("store: save messages: %w", err)
				}
				ups[n] = ins
			}
			args = args[:0]
			for i := range part {
				m := &part[i]
				var id any // a known message keeps its row (the upsert ignores it)
				if isNew[start-n+i] {
					nextID++
					id = nextID
				}
				args = append(args, id, threadOf[start-n+i], account, mailboxID, m.UIDValidity, m.UID, m.ModSeq, joinFlags(m.Flags),
					boolInt(hasFlag(m.Flags, FlagSeen)), boolInt(hasFlag(m.Flags, FlagFlagged)),
					boolInt(hasFlag(m.Flags, FlagAnswered)), boolInt(hasFlag(m.Flags, FlagDraft)),
					unix(m.InternalDate), m.Size, unix(m.Date), m.Subject,
					encodeAddrs(m.From), encodeAddrs(m.To), encodeAddrs(m.Cc), encodeAddrs(m.ReplyTo),
					m.MessageID, m.InReplyTo, strings.Join(m.References, " "), boolInt(m.HasAttachments),
					boolInt(hasFlag(m.Flags, FlagDeleted)))
			}
			if err := func() error {
				rows, err := ins.Query(args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				got := 0
				for rows.Next() {
					var k key
					var id int64
					var hb int
					var flags string
					if err := rows.Scan(&k.uidValidity, &k.uid, &id, &hb, &flags); err != nil {
						return err
					}
					i, ok := at[k]
					if !ok {
						return fmt.Errorf("returned uid %d not saved", k.uid)
					}
					part[i].ID, hasBody[i], stored[i] = id, hb != 0, flags
					got++
				}
				if err := rows.Err(); err != nil {
					return err
				}
				if got != n {
					return fmt.Errorf("%d of %d messages returned", got, n)
				}
				return nil
			}(); err != nil {
				return fmt.Errorf("store: save messages from uid %d: %w", part[0].UID, err)
			}
			for i := range part {
				m := &part[i]
				if !sameFlags(splitFlags(stored[i]), m.Flags) { // a known message whose flags changed
					if _, ok := flagUps[m.UIDValidity]; !ok {
						flagUVs = append(flagUVs, m.UIDValidity)
					}
					flagUps[m.UIDValidity] = append(flagUps[m.UIDValidity], FlagUpdate{UID: m.UID, Flags: m.Flags, ModSeq: m.ModSeq})
				}
				if !hasBody[i] {
					index = append(index, ftsRow{m.ID, m.Subject, addrText(m.From, m.To, m.Cc), ""})
				}
				if m.ID > lastID && !counted[m.ID] {
					counted[m.ID] = true
					date := unix(m.Date)
					for _, a := range m.From {
						uses = append(uses, addressUse{a, false, date})
					}
					for _, l := range [][]Address{m.To, m.Cc} {
						for _, a := range l {
							uses = append(uses, addressUse{a, sentBox, date})
						}
					}
				}
			}
		}
		if _, err := tx.Exec(`UPDATE message_seq SET n = ?`, nextID); err != nil {
			return fmt.Errorf("store: save messages: %w", err)
		}
		for _, uv := range flagUVs {
			if _, err := applyFlags(tx, mailboxID, uv, flagUps[uv]); err != nil {
				return fmt.Errorf("store: save messages: %w", err)
			}
		}
		if err := countAddresses(tx, account, uses); err != nil {
			return err
		}
		return ftsIndex(tx, index)
	})
	return added, err
}

// threadNew threads the messages of msgs not stored yet in mailbox
// mailboxID (a message repeated in msgs once, at its first copy), in
// order, and returns the thread of each message of msgs (0 for one stored
// already, whose row keeps its thread) and which ones it threaded.
func threadNew(tx *sql.Tx, account string, mailboxID int64, msgs []Message) ([]int64, []bool, error) {
	type key struct{ uidValidity, uid uint32 }
	known := map[key]bool{}
	byUV := map[uint32][]any{}
	var uvs []uint32
	for _, m := range msgs {
		if _, ok := byUV[m.UIDValidity]; !ok {
			uvs = append(uvs, m.UIDValidity)
		}
		byUV[m.UIDValidity] = append(byUV[m.UIDValidity], m.UID)
	}
	for _, uv := range uvs {
		uids := byUV[uv]
		for start := 0; start < len(uids); start += threadKeysChunk {
			part := uids[start:min(start+threadKeysChunk, len(uids))]
			err := func() error {
				rows, err := tx.Query(`SELECT uid FROM messages WHERE mailbox_id = ? AND uidvalidity = ? AND uid IN (`+marks(len(part))+`)`,
					append([]any{mailboxID, uv}, part...)...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var uid uint32
					if err := rows.Scan(&uid); err != nil {
						return err
					}
					known[key{uv, uid}] = true
				}
				return rows.Err()
			}()
			if err != nil {
				return nil, nil, fmt.Errorf("store: save messages: %w", err)
			}
		}
	}
	var in []threadInput
	var at []int
	for i, m := range msgs {
		k := key{m.UIDValidity, m.UID}
		if known[k] {
			continue
		}
		known[k] = true
		in = append(in, threadInput{0, m.MessageID, m.InReplyTo, m.References, m.Subject})
		at = append(at, i)
	}
	threads, err := planThreads(tx, account, in)
	if err != nil {
		return nil, nil, err
	}
	out, isNew := make([]int64, len(msgs)), make([]bool, len(msgs))
	for j, i := range at {
		out[i], isNew[i] = threads[j], true
	}
	return out, isNew, nil
}

// addressUse is one address of a newly stored message, for autocomplete.
type addressUse struct {
	addr Address
	sent bool // a recipient of a message in Sent
	date int64
}

// countAddresses adds uses to the addresses table as the trigger of
// migration 5 did for each address of an inserted message, in order:
// emails lowered (ASCII only, as SQLite's lower) and trimmed of spaces,
// only those that look like addresses, the newest name winning. The
// trigger parsed each message's JSON address lists again and upserted
// every use; here the uses of a batch are applied to the stored rows in
// Go and each address is written once (storing 20,000 headers took 1.10 s
// with the trigger and 0.95 s so).
func countAddresses(tx *sql.Tx, account string, uses []addressUse) error {
	type state struct {
		name             string
		uses, sent, last int64
	}
	agg := map[string]*state{}
	var emails []string
	keys := make([]string, len(uses))
	for i, u := range uses {
		e := asciiLower(strings.Trim(u.addr.Email, " "))
		if len(e) < 3 || !strings.Contains(e[1:len(e)-1], "@") {
			continue // not LIKE '%_@_%'
		}
		keys[i] = e
		if agg[e] == nil {
			agg[e] = &state{uses: -1} // -1: not stored
			emails = append(emails, e)
		}
	}
	if len(emails) == 0 {
		return nil
	}
	const chunk = 500
	for start := 0; start < len(emails); start += chunk {
		part := emails[start:min(start+chunk, len(emails))]
		args := make([]any, 0, len(part)+1)
		args = append(args, account)
		for _, e := range part {
			args = append(args, e)
		}
		err := func() error {
			rows, err := tx.Query(`SELECT email, name, uses, sent, last_used FROM addresses WHERE account = ? AND email IN (`+
				marks(len(part))+`)`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e string
				var st state
				if err := rows.Scan(&e, &st.name, &st.uses, &st.sent, &st.last); err != nil {
					return err
				}
				if p := agg[e]; p != nil {
					*p = st
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return fmt.Errorf("store: addresses: %w", err)
		}
	}
	for i, u := range uses {
		st := agg[keys[i]]
		if st == nil {
			continue
		}
		if st.uses < 0 {
			*st = state{name: u.addr.Name, uses: 1, sent: int64(boolInt(u.sent)), last: u.date}
			continue
		}
		st.uses++
		st.sent += int64(boolInt(u.sent))
		if u.addr.Name != "" && (st.name == "" || u.date >= st.last) {
			st.name = u.addr.Name
		}
		st.last = max(st.last, u.date)
	}
	for start := 0; start < len(emails); start += chunk / 2 {
		part := emails[start:min(start+chunk/2, len(emails))]
		args := make([]any, 0, 6*len(part))
		for _, e := range part {
			st := agg[e]
			args = append(args, account, e, st.name, st.uses, st.sent, st.last)
		}
		if _, err := tx.Exec(`INSERT INTO addresses (account, email, name, uses, sent, last_used) VALUES `+
			rowMarks(len(part), 6)+`
			ON CONFLICT (account, email) DO UPDATE SET name = excluded.name, uses = excluded.uses,
				sent = excluded.sent, last_used = excluded.last_used`, args...); err != nil {
			return fmt.Errorf("store: addresses: %w", err)
		}
	}
	return nil
}

// asciiLower lowers the ASCII letters of s only, as SQLite's lower does.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// putChunk is how many messages PutMessages saves a statement: much of a
// statement's cost (the calls into SQLite, journaling the pages it changes)
// is the same for one row as for a hundred.
const putChunk = 100

// putCols is how many values PutMessages binds a message.
const putCols = 25

// putMessagesSQL returns the upsert of n messages, which returns each one's
// key, local ID, whether its body is stored and its stored flags (its old
// ones when it was known).
func putMessagesSQL(n int) string {
	return `INSERT INTO messages (id, thread_id, account, mailbox_id, uidvalidity, uid, modseq, flags, seen, flagged, answered, draft,
			internal_date, size, date, subject, from_addr, to_addr, cc_addr, reply_to, message_id, in_reply_to, refs, has_attachments, hidden)
		VALUES ` + rowMarks(n, putCols) + `
		ON CONFLICT (mailbox_id, uidvalidity, uid) DO UPDATE SET modseq=excluded.modseq,
			internal_date=excluded.internal_date, size=excluded.size, date=excluded.date, subject=excluded.subject,
			from_addr=excluded.from_addr, to_addr=excluded.to_addr, cc_addr=excluded.cc_addr, reply_to=excluded.reply_to,
			message_id=excluded.message_id, in_reply_to=excluded.in_reply_to, refs=excluded.refs,
			has_attachments=max(has_attachments, excluded.has_attachments)
		RETURNING uidvalidity, uid, id, has_body, flags`
}

// ftsRow is one message's entry in the full-text index.
type ftsRow struct {
	id                       int64
	subject, addresses, body string
}

// ftsIndex replaces the index entries of rows, many rows a statement: FTS5
// writes its pending index to disk at the start of every statement that
// changes it inside a transaction, so one statement a row is slow.
func ftsIndex(tx *sql.Tx, rows []ftsRow) error {
	const chunk = 200
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		part := rows[:n]
		rows = rows[n:]
		ids := make([]any, n)
		vals := make([]any, 0, 4*n)
		for i, r := range part {
			ids[i] = r.id
			vals = append(vals, r.id, r.subject, r.addresses, r.body)
		}
		if _, err := tx.Exec(`DELETE FROM messages_fts WHERE rowid IN (`+marks(n)+`)`, ids...); err != nil {
			return fmt.Errorf("store: index: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO messages_fts (rowid, subject, addresses, body) VALUES `+rowMarks(n, 4), vals...); err != nil {
			return fmt.Errorf("store: index: %w", err)
		}
	}
	return nil
}

// FlagUpdate is a flag change seen on the server.
type FlagUpdate struct {
	UID    uint32
	Flags  []string
	ModSeq uint64
}

// UpdateFlags applies server flag changes to mailbox mailboxID, in one
// transaction. It returns how many stored messages it changed. Messages
// with pending local actions keep their local flags; when ups names a UID
// twice, the later one wins.
//
// It reads and writes a few hundred messages a statement, and a change
// that leaves \Seen and \Deleted as they were (a star, a keyword, the
// commonest kind) is written without touching the unread and list indexes
// and the counts. 1,000 changes in a 100,000-message mailbox took 92 ms
// one statement a message and take 62 ms so (go test -bench UpdateFlags
// ./store).
func (db *DB) UpdateFlags(ctx context.Context, mailboxID int64, uidValidity uint32, ups []FlagUpdate) (int, error) {
	changed := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		changed, err = applyFlags(tx, mailboxID, uidValidity, ups)
		return err
	})
	return changed, err
}

// applyFlags writes server flags as UpdateFlags describes, in tx, and
// returns how many messages it changed. PutMessages uses it too, for known
// messages whose flags changed.
func applyFlags(tx *sql.Tx, mailboxID int64, uidValidity uint32, ups []FlagUpdate) (int, error) {
	pending := map[uint32]bool{}
	rows, err := tx.Query(`SELECT uid FROM pending_actions WHERE mailbox_id = ? AND uidvalidity = ?`, mailboxID, uidValidity)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var uid uint32
		if err := rows.Scan(&uid); err != nil {
			rows.Close()
			return 0, err
		}
		pending[uid] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	const chunk = 250
	changed := 0
	for rest := lastPerUID(ups); len(rest) > 0; {
		part := rest[:min(chunk, len(rest))]
		rest = rest[len(part):]
		n, err := updateFlagsChunk(tx, mailboxID, uidValidity, part, pending)
		if err != nil {
			return changed, err
		}
		changed += n
	}
	return changed, nil
}

// lastPerUID returns ups with only the last update of each UID, in order.
func lastPerUID(ups []FlagUpdate) []FlagUpdate {
	last := make(map[uint32]int, len(ups))
	for i, u := range ups {
		last[u.UID] = i
	}
	if len(last) == len(ups) {
		return ups
	}
	out := make([]FlagUpdate, 0, len(last))
	for i, u := range ups {
		if last[u.UID] == i {
			out = append(out, u)
		}
	}
	return out
}

// updateFlagsChunk is one chunk of applyFlags, each UID named once.
func updateFlagsChunk(tx *sql.Tx, mailboxID int64, uidValidity uint32, part []FlagUpdate, pending map[uint32]bool) (int, error) {
	type current struct {
		id           int64
		flags        string
		seen, hidden bool
	}
	args := make([]any, 0, 2+len(part))
	args = append(args, mailboxID, uidValidity)
	for _, u := range part {
		args = append(args, u.UID)
	}
	rows, err := tx.Query(`SELECT uid, id, flags, seen, hidden FROM messages
		WHERE mailbox_id = ? AND uidvalidity = ? AND uid IN (`+marks(len(args)-2)+`)`, args...)
	if err != nil {
		return 0, err
	}
	cur := make(map[uint32]current, len(part))
	for rows.Next() {
		var uid uint32
		var c current
		if err := rows.Scan(&uid, &c.id, &c.flags, &c.seen, &c.hidden); err != nil {
			rows.Close()
			return 0, err
		}
		cur[uid] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var light, full []any
	changed := 0
	for _, u := range part {
		c, ok := cur[u.UID]
		if !ok || pending[u.UID] || sameFlags(splitFlags(c.flags), u.Flags) {
			continue
		}
		changed++
		seen, hidden := hasFlag(u.Flags, FlagSeen), hasFlag(u.Flags, FlagDeleted)
		common := []any{joinFlags(u.Flags), boolInt(hasFlag(u.Flags, FlagFlagged)), boolInt(hasFlag(u.Flags, FlagAnswered)),
			boolInt(hasFlag(u.Flags, FlagDraft)), u.ModSeq}
		if seen == c.seen && hidden == c.hidden {
			light = append(append(light, c.id), common...)
		} else {
			full = append(append(full, c.id), common...)
			full = append(full, boolInt(seen), boolInt(hidden))
		}
	}
	const set = `flags = v.column2, flagged = v.column3, answered = v.column4, draft = v.column5, modseq = max(messages.modseq, v.column6)`
	if len(light) > 0 {
		if _, err := tx.Exec(`UPDATE messages SET `+set+` FROM (VALUES `+rowMarks(len(light)/6, 6)+`) AS v
			WHERE messages.id = v.column1`, light...); err != nil {
			return 0, err
		}
	}
	if len(full) > 0 {
		if _, err := tx.Exec(`UPDATE messages SET `+set+`, seen = v.column7, hidden = v.column8 FROM (VALUES `+rowMarks(len(full)/8, 8)+`) AS v
			WHERE messages.id = v.column1`, full...); err != nil {
			return 0, err
		}
	}
	return changed, nil
}

// DeleteUIDs removes messages that the server expunged.
func (db *DB) DeleteUIDs(ctx context.Context, mailboxID int64, uidValidity uint32, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, uid := range uids {
			if _, err := tx.Exec(`DELETE FROM messages_fts WHERE rowid = (SELECT id FROM messages WHERE mailbox_id=? AND uidvalidity=? AND uid=?)`, mailboxID, uidValidity, uid); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM messages WHERE mailbox_id=? AND uidvalidity=? AND uid=?`, mailboxID, uidValidity, uid); err != nil {
				return err
			}
		}
		return nil
	})
}

// UIDs returns every stored UID of mailbox mailboxID under uidValidity,
// ascending.
func (db *DB) UIDs(ctx context.Context, mailboxID int64, uidValidity uint32) ([]uint32, error) {
	return db.UIDsFrom(ctx, mailboxID, uidValidity, 0)
}

// UIDsFrom returns the stored UIDs of mailbox mailboxID under uidValidity
// from uid on, ascending.
func (db *DB) UIDsFrom(ctx context.Context, mailboxID int64, uidValidity, uid uint32) ([]uint32, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT uid FROM messages WHERE mailbox_id=? AND uidvalidity=? AND uid >= ? ORDER BY uid`, mailboxID, uidValidity, uid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

const messageCols = `id, account, mailbox_id, uidvalidity, uid, modseq, flags, internal_date, size, date, subject,
	from_addr, to_addr, cc_addr, reply_to, message_id, in_reply_to, refs, has_attachments, preview, has_body`

func scanMessage(sc interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var flags, from, to, cc, rt, refs string
	var idate, date int64
	var att, hb int
	err := sc.Scan(&m.ID, &m.Account, &m.MailboxID, &m.UIDValidity, &m.UID, &m.ModSeq, &flags, &idate, &m.Size, &date, &m.Subject,
		&from, &to, &cc, &rt, &m.MessageID, &m.InReplyTo, &refs, &att, &m.Preview, &hb)
	m.Flags = splitFlags(flags)
	m.InternalDate, m.Date = fromUnix(idate), fromUnix(date)
	m.From, m.To, m.Cc, m.ReplyTo = decodeAddrs(from), decodeAddrs(to), decodeAddrs(cc), decodeAddrs(rt)
	m.References = strings.Fields(refs)
	m.HasAttachments, m.HasBody = att != 0, hb != 0
	return m, err
}

func (db *DB) queryMessages(ctx context.Context, q string, args ...any) ([]Message, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns a page of mailbox mailboxID, newest first.
func (db *DB) Messages(ctx context.Context, mailboxID int64, offset, limit int) ([]Message, error) {
	return db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages WHERE mailbox_id = ? AND hidden = 0
		ORDER BY internal_date DESC, uid DESC LIMIT ? OFFSET ?`, mailboxID, limit, offset)
}

// CountMessages returns how many messages mailbox mailboxID shows (not
// counting those hidden while a move or delete is pending).
func (db *DB) CountMessages(ctx context.Context, mailboxID int64) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT shown FROM mailboxes WHERE id = ?`, mailboxID).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return n, err
}

// CountStored returns how many messages of mailbox mailboxID the store
// holds, hidden ones included: what the server should hold too.
func (db *DB) CountStored(ctx context.Context, mailboxID int64) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT stored FROM mailboxes WHERE id = ?`, mailboxID).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return n, err
}

// Message returns one message by local ID.
func (db *DB) Message(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return m, ErrNotFound
	}
	return m, err
}

// MessageByUID returns one message by its server identity.
func (db *DB) MessageByUID(ctx context.Context, mailboxID int64, uidValidity, uid uint32) (Message, error) {
	m, err := scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE mailbox_id=? AND uidvalidity=? AND uid=?`, mailboxID, uidValidity, uid))
	if err == sql.ErrNoRows {
		return m, ErrNotFound
	}
	return m, err
}

// MissingBodies returns up to limit messages of account received since
// since (all when zero) whose body is not stored yet, newest first. It is
// asked for every few hundred bodies of a background sync, so it reads
// only what fetching a body needs: of each Message only ID, MailboxID,
// UIDValidity, UID, InternalDate, Size and HasAttachments are set.
func (db *DB) MissingBodies(ctx context.Context, account string, since time.Time, limit int) ([]Message, error) {
	rows, err := db.r.QueryContext(ctx, missingBodiesQuery, account, unix(since), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Message, 0, min(limit, 1024))
	for rows.Next() {
		var m Message
		var idate int64
		var att int
		if err := rows.Scan(&m.ID, &m.MailboxID, &m.UIDValidity, &m.UID, &idate, &m.Size, &att); err != nil {
			return nil, err
		}
		m.Account, m.InternalDate, m.HasAttachments = account, fromUnix(idate), att != 0
		out = append(out, m)
	}
	return out, rows.Err()
}

// missingBodiesQuery is MissingBodies' query; its terms match the partial
// index messages_missing_body, which returns the rows in order.
const missingBodiesQuery = `SELECT id, mailbox_id, uidvalidity, uid, internal_date, size, has_attachments FROM messages
	WHERE account = ? AND has_body = 0 AND hidden = 0 AND internal_date >= ? AND too_large = 0 ORDER BY internal_date DESC LIMIT ?`

// MarkTooLarge records that the server sends message id's body as size
// bytes, more than Tern downloads: MissingBodies leaves it out from now on.
func (db *DB) MarkTooLarge(ctx context.Context, id, size int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE messages SET too_large = ? WHERE id = ?`, size, id)
		return err
	})
}

// TooLarge returns the size MarkTooLarge recorded for message id, 0 if
// none.
func (db *DB) TooLarge(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT too_large FROM messages WHERE id = ?`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return n, err
}

// BodyInfo is what the parser derived from a body, stored beside it.
type BodyInfo struct {
	Text           string // the displayable text, for the full-text index
	Preview        string
	HasAttachments bool
}

// PutBody stores the raw body of message id and indexes its text.
func (db *DB) PutBody(ctx context.Context, id int64, raw []byte, info BodyInfo) error {
	n, err := db.PutBodies(ctx, []Body{{MessageID: id, Raw: raw, Info: info}})
	if err == nil && n == 0 {
		return ErrNotFound // expunged meanwhile
	}
	return err
}

// Body is a raw message body to store, with what the parser derived.
type Body struct {
	MessageID int64
	Raw       []byte
	Info      BodyInfo

	file string // the pack Raw was written to by WriteBodyFiles
	off  int64  // where in file
}

// WriteBodyFiles writes the raw bytes of the bodies not written yet to new
// packs (one a run of them; a whole batch is one run) ahead of PutBodies,
// which then does not write them again: a caller can write one batch's
// pack while PutBodies commits the batch before. Files of bodies
// that never reach PutBodies are removed with DiscardBodyFiles (or, after a
// crash, by the orphan sweep). It is safe to call from any goroutine, on
// bodies no other goroutine uses.
func (db *DB) WriteBodyFiles(bodies []Body) error {
	for i := 0; i < len(bodies); {
		if bodies[i].file != "" {
			i++
			continue
		}
		j := i + 1
		for j < len(bodies) && bodies[j].file == "" {
			j++
		}
		if err := db.files.writePack(bodies[i:j]); err != nil {
			db.DiscardBodyFiles(bodies[:i])
			return err
		}
		i = j
	}
	return nil
}

// DiscardBodyFiles removes the packs WriteBodyFiles wrote for bodies.
func (db *DB) DiscardBodyFiles(bodies []Body) {
	var names []string
	for i := range bodies {
		if f := bodies[i].file; f != "" && (len(names) == 0 || names[len(names)-1] != f) {
			names = append(names, f)
		}
		bodies[i].file, bodies[i].off = "", 0
	}
	db.files.remove(names)
}

// PutBodies stores bodies in one transaction and returns how many were
// stored; bodies of messages that are gone meanwhile are skipped. The raw
// bytes go to a pack (see bodyFiles) before the transaction that names it,
// unless WriteBodyFiles wrote them already.
func (db *DB) PutBodies(ctx context.Context, bodies []Body) (int, error) {
	if err := db.WriteBodyFiles(bodies); err != nil {
		return 0, err
	}
	stored := 0
	used := map[string]bool{}
	err := db.write(ctx, func(tx *sql.Tx) error {
		stored = 0
		clear(used)
		heads, err := bodyHeads(tx, bodies)
		if err != nil {
			return err
		}
		// An upsert, not INSERT OR REPLACE: a replacing delete would not
		// fire the trigger that trashes the old file.
		put, err := tx.Prepare(`INSERT INTO bodies (message_id, raw, file, off, size) VALUES (?, x'', ?, ?, ?)
			ON CONFLICT (message_id) DO UPDATE SET raw = x'', file = excluded.file, off = excluded.off, size = excluded.size`)
		if err != nil {
			return fmt.Errorf("store: save body: %w", err)
		}
		defer put.Close()
		mark, err := tx.Prepare(`UPDATE messages SET has_body=1, preview=?, has_attachments=? WHERE id=?`)
		if err != nil {
			return err
		}
		defer mark.Close()
		var index []ftsRow
		for _, b := range bodies {
			h, ok := heads[b.MessageID]
			if !ok {
				continue
			}
			if _, err := put.Exec(b.MessageID, b.file, b.off, len(b.Raw)); err != nil {
				return fmt.Errorf("store: save body: %w", err)
			}
			if _, err := mark.Exec(b.Info.Preview, boolInt(b.Info.HasAttachments), b.MessageID); err != nil {
				return err
			}
			used[b.file] = true
			index = append(index, ftsRow{b.MessageID, h.subject, h.addresses, b.Info.Text})
			stored++
		}
		return ftsIndex(tx, index)
	})
	if err != nil {
		db.DiscardBodyFiles(bodies)
		return 0, err
	}
	// A pack none of whose bodies was stored belongs to no row; one that
	// holds some gone bodies keeps them until it is compacted.
	var unused []string
	for i := range bodies {
		if f := bodies[i].file; !used[f] && !slices.Contains(unused, f) {
			unused = append(unused, f)
		}
		bodies[i].file, bodies[i].off = "", 0 // the packs now belong to their rows
	}
	db.files.remove(unused)
	return stored, nil
}

// bodyHead is what the full-text index takes from a message's headers.
type bodyHead struct{ subject, addresses string }

// bodyHeads returns the index text of the headers of the messages of
// bodies, by ID; messages that are gone are missing. It asks for many
// messages a query: a query a body was prepared anew every time.
func bodyHeads(tx *sql.Tx, bodies []Body) (map[int64]bodyHead, error) {
	const chunk = 500
	heads := make(map[int64]bodyHead, len(bodies))
	ids := make([]any, 0, min(chunk, len(bodies)))
	for start := 0; start < len(bodies); start += chunk {
		ids = ids[:0]
		for _, b := range bodies[start:min(start+chunk, len(bodies))] {
			ids = append(ids, b.MessageID)
		}
		if err := func() error {
			rows, err := tx.Query(`SELECT id, subject, from_addr, to_addr, cc_addr FROM messages WHERE id IN (`+marks(len(ids))+`)`, ids...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var subject, from, to, cc string
				if err := rows.Scan(&id, &subject, &from, &to, &cc); err != nil {
					return err
				}
				heads[id] = bodyHead{subject, addrText(decodeAddrs(from), decodeAddrs(to), decodeAddrs(cc))}
			}
			return rows.Err()
		}(); err != nil {
			return nil, fmt.Errorf("store: save body: %w", err)
		}
	}
	return heads, nil
}

// Body returns the raw stored body of message id, or ErrNotFound. A body
// whose file is lost or short is forgotten (the message is marked as having
// no body, so that it is fetched again) and reported as ErrNotFound.
func (db *DB) Body(ctx context.Context, id int64) ([]byte, error) {
	for try := 0; ; try++ {
		var raw []byte
		var file string
		var off, size int64
		err := db.r.QueryRowContext(ctx, `SELECT raw, file, off, size FROM bodies WHERE message_id = ?`, id).Scan(&raw, &file, &off, &size)
		if err == sql.ErrNoRows {
			return nil, ErrNotFound
		}
		if err != nil || file == "" {
			return raw, err // a body stored before migration 7 is inline
		}
		raw, err = db.files.read(file, off, size)
		if !errors.Is(err, errBodyLost) {
			return raw, err
		}
		forgot := false
		err = db.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.Exec(`DELETE FROM bodies WHERE message_id = ? AND file = ?`, id, file)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				forgot = true
				_, err = tx.Exec(`UPDATE messages SET has_body = 0 WHERE id = ?`, id)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if forgot || try > 0 {
			return nil, ErrNotFound
		}
		// The body was replaced (and its old file removed) while we read:
		// read the new one.
	}
}
