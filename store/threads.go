package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
)

// Threading: every message belongs to one thread of its account, computed
// when the message is first stored and kept in messages.thread_id.
//
// A message's keys are its own Message-ID and the IDs it names in
// In-Reply-To and References; messages that share a key share a thread.
// thread_keys remembers which thread each key belongs to, so that a reply
// stored before its parent, or two branches stored before the message that
// links them, end in one thread: when a message's keys point at several
// threads, they are merged into the oldest (lowest number) and every row
// of the others is relabelled, as a union-find's union.
//
// Only a message with neither In-Reply-To nor References falls back on
// its subject, normalised (reply and forward prefixes and list tags
// dropped, case folded): a reply ("Re: …") joins the first thread stored
// with that subject ("s:" key); a reply that found none leaves an "r:" key,
// which the first message without a prefix and that subject to come later
// claims (the key then holds thread 0), so that a reply stored before its
// original still joins it. Subjects never merge two threads that headers
// made.
//
// Threads span the account's folders, so a reply filed in Sent joins the
// conversation of the message it answers.

// threadInput is what threading reads of one newly stored message.
type threadInput struct {
	id         int64
	messageID  string
	inReplyTo  string
	references []string
	subject    string
}

// threadKeysChunk bounds the keys one lookup query names.
const threadKeysChunk = 400

// threadMessages gives each message of msgs (all of account, all stored
// in tx already, in order of arrival) its thread, merging threads that
// a message links.
func threadMessages(tx *sql.Tx, account string, msgs []threadInput) error {
	threadOf, err := planThreads(tx, account, msgs)
	if err != nil {
		return err
	}
	for start := 0; start < len(msgs); start += threadKeysChunk {
		end := min(start+threadKeysChunk, len(msgs))
		args := make([]any, 0, 2*(end-start))
		for i := start; i < end; i++ {
			args = append(args, msgs[i].id, threadOf[i])
		}
		if _, err := tx.Exec(`UPDATE messages SET thread_id = v.column2 FROM (VALUES `+rowMarks(end-start, 2)+`) AS v
			WHERE messages.id = v.column1`, args...); err != nil {
			return fmt.Errorf("store: thread: %w", err)
		}
	}
	return nil
}

// planThreads returns the thread of each message of msgs (all of account,
// in order of arrival; their ids are not read), and stores in tx what
// threading keeps: the keys, the thread numbers handed out, and the rows
// of stored threads that msgs merged into others. Writing each message's
// thread is the caller's: PutMessages inserts new rows with it, so that
// threading costs no second write of the row and its indexes.
func planThreads(tx *sql.Tx, account string, msgs []threadInput) ([]int64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	type plan struct {
		own, links []string
		subject    string // normalised, "" when none
		headerless bool
		reply      bool
	}
	plans := make([]plan, len(msgs))
	var lookup []string
	seen := map[string]bool{}
	want := func(k string) {
		if !seen[k] {
			seen[k] = true
			lookup = append(lookup, k)
		}
	}
	for i, m := range msgs {
		p := &plans[i]
		if id := normMsgID(m.messageID); id != "" {
			p.own = append(p.own, "m:"+id)
		}
		for _, r := range append(slices.Clone(m.references), m.inReplyTo) {
			if id := normMsgID(r); id != "" {
				p.links = append(p.links, "m:"+id)
			}
		}
		p.headerless = len(p.links) == 0
		p.subject, p.reply = normSubject(m.subject)
		for _, k := range p.own {
			want(k)
		}
		for _, k := range p.links {
			want(k)
		}
		if p.subject != "" && p.headerless { // only these look their subject up
			if p.reply {
				want("s:" + p.subject)
			} else {
				want("r:" + p.subject)
			}
		}
	}
	known, err := threadKeys(tx, account, lookup)
	if err != nil {
		return nil, err
	}
	stored := maps.Clone(known)
	var next int64
	if err := tx.QueryRow(`SELECT n FROM thread_seq`).Scan(&next); err != nil {
		return nil, fmt.Errorf("store: thread: %w", err)
	}
	startNext := next

	// parent is the union-find over thread numbers met in this batch.
	parent := map[int64]int64{}
	var find func(int64) int64
	find = func(t int64) int64 {
		p, ok := parent[t]
		if !ok || p == t {
			return t
		}
		r := find(p)
		parent[t] = r
		return r
	}
	union := func(a, b int64) int64 { // keeps the lower number
		a, b = find(a), find(b)
		if a == b {
			return a
		}
		if b < a {
			a, b = b, a
		}
		parent[b] = a
		return a
	}
	dirty := map[string]bool{}     // keys to write
	subjects := map[string]int64{} // "s:" keys to add unless stored (first wins)
	threadOf := make([]int64, len(msgs))
	for i := range msgs {
		p := &plans[i]
		var t int64
		for _, k := range append(slices.Clone(p.own), p.links...) {
			if got, ok := known[k]; ok {
				if t == 0 {
					t = find(got)
				} else {
					t = union(t, got)
				}
			}
		}
		if t == 0 && p.headerless && p.subject != "" {
			key := "r:" + p.subject
			if p.reply {
				key = "s:" + p.subject
			}
			if got, ok := known[key]; ok && got != 0 {
				t = find(got)
				if !p.reply {
					// One original claims the reply that came before it.
					known[key], dirty[key] = 0, true
				}
			}
		}
		started := false
		if t == 0 {
			next++
			t, started = next, true
		}
		for _, k := range append(slices.Clone(p.own), p.links...) {
			known[k], dirty[k] = t, true
		}
		if p.subject != "" {
			if _, ok := known["s:"+p.subject]; !ok {
				known["s:"+p.subject] = t
				subjects["s:"+p.subject] = t
			}
			if _, ok := known["r:"+p.subject]; !ok && p.headerless && p.reply && started {
				known["r:"+p.subject], dirty["r:"+p.subject] = t, true
			}
		}
		threadOf[i] = t
	}

	// Threads stored before this batch that it merged into others: their
	// rows and keys take the surviving number.
	for old := range parent {
		if old > startNext || find(old) == old {
			continue
		}
		to := find(old)
		if _, err := tx.Exec(`UPDATE messages SET thread_id = ? WHERE account = ? AND thread_id = ?`, to, account, old); err != nil {
			return nil, fmt.Errorf("store: thread: %w", err)
		}
		if _, err := tx.Exec(`UPDATE thread_keys SET thread = ? WHERE account = ? AND thread = ?`, to, account, old); err != nil {
			return nil, fmt.Errorf("store: thread: %w", err)
		}
	}
	if next != startNext {
		if _, err := tx.Exec(`UPDATE thread_seq SET n = ?`, next); err != nil {
			return nil, fmt.Errorf("store: thread: %w", err)
		}
	}
	// Keys whose stored thread is still theirs are not written again; a
	// subject key is added only where none is stored.
	var keys []string
	for k := range dirty {
		t := known[k]
		if t != 0 {
			t = find(t)
		}
		known[k] = t
		if old, ok := stored[k]; !ok || old != t {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if err := putThreadKeys(tx, account, keys, known, `DO UPDATE SET thread = excluded.thread`); err != nil {
		return nil, err
	}
	keys = keys[:0]
	for k, t := range subjects {
		known[k] = find(t)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if err := putThreadKeys(tx, account, keys, known, `DO NOTHING`); err != nil {
		return nil, err
	}
	for i := range threadOf {
		threadOf[i] = find(threadOf[i])
	}
	return threadOf, nil
}

// putThreadKeys writes keys of account with their threads in known; conflict
// says what a stored key does (an upsert's DO clause).
func putThreadKeys(tx *sql.Tx, account string, keys []string, known map[string]int64, conflict string) error {
	for start := 0; start < len(keys); start += threadKeysChunk {
		part := keys[start:min(start+threadKeysChunk, len(keys))]
		args := make([]any, 0, 3*len(part))
		for _, k := range part {
			args = append(args, account, k, known[k])
		}
		if _, err := tx.Exec(`INSERT INTO thread_keys (account, key, thread) VALUES `+rowMarks(len(part), 3)+`
			ON CONFLICT (account, key) `+conflict, args...); err != nil {
			return fmt.Errorf("store: thread: %w", err)
		}
	}
	return nil
}

// threadKeys returns the stored threads of keys of account, by key.
func threadKeys(tx *sql.Tx, account string, keys []string) (map[string]int64, error) {
	known := make(map[string]int64, len(keys))
	for start := 0; start < len(keys); start += threadKeysChunk {
		part := keys[start:min(start+threadKeysChunk, len(keys))]
		args := make([]any, 0, len(part)+1)
		args = append(args, account)
		for _, k := range part {
			args = append(args, k)
		}
		err := func() error {
			rows, err := tx.Query(`SELECT key, thread FROM thread_keys WHERE account = ? AND key IN (`+marks(len(part))+`)`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				var t int64
				if err := rows.Scan(&k, &t); err != nil {
					return err
				}
				known[k] = t
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("store: thread: %w", err)
		}
	}
	return known, nil
}

// normMsgID returns a message ID without angle brackets and spaces.
func normMsgID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "<")
	id = strings.TrimSuffix(id, ">")
	return strings.TrimSpace(id)
}

// replyPrefixes are the reply and forward prefixes normSubject drops,
// lower case, without the colon.
var replyPrefixes = []string{"re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "r", "rif", "tr", "odp", "enc"}

// normSubject returns subject without its reply and forward prefixes
// ("Re:", "Fwd:", "AW:", "Re[2]:"…) and leading list tags ("[list]"),
// case folded and its spaces collapsed, and whether it had a prefix.
func normSubject(subject string) (string, bool) {
	s := strings.TrimSpace(subject)
	reply := false
	for {
		if strings.HasPrefix(s, "[") {
			if end := strings.IndexByte(s, ']'); end > 0 {
				s = strings.TrimSpace(s[end+1:])
				continue
			}
		}
		colon := strings.IndexByte(s, ':')
		if colon <= 0 || colon > 8 {
			break
		}
		word := strings.ToLower(s[:colon])
		if i := strings.IndexAny(word, "[("); i > 0 && strings.IndexFunc(word[i+1:], func(r rune) bool {
			return !unicode.IsDigit(r) && r != ']' && r != ')'
		}) < 0 {
			word = word[:i]
		}
		if !slices.Contains(replyPrefixes, strings.TrimSpace(word)) {
			break
		}
		reply = true
		s = strings.TrimSpace(s[colon+1:])
	}
	return strings.Join(strings.Fields(strings.ToLower(s)), " "), reply
}

// threadUnthreaded threads the messages stored before threading existed
// (migration 16 left them at thread 0), oldest first, a batch a
// transaction. Open calls it; it does nothing once every row has a thread.
func (db *DB) threadUnthreaded(ctx context.Context) error {
	const batch = 2000
	var accts []string
	rows, err := db.w.QueryContext(ctx, `SELECT DISTINCT account FROM mailboxes`)
	if err != nil {
		return fmt.Errorf("store: thread stored messages: %w", err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return err
		}
		accts = append(accts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, account := range accts {
		for more := true; more; {
			// Quiet: Open calls it before the body files are set up. The
			// rows of (account, thread 0) come in ID order from the
			// index messages_by_thread.
			err := db.writeQuiet(ctx, func(tx *sql.Tx) error {
				rows, err := tx.Query(`SELECT id, message_id, in_reply_to, refs, subject FROM messages
					WHERE account = ? AND thread_id = 0 ORDER BY id LIMIT ?`, account, batch)
				if err != nil {
					return err
				}
				var in []threadInput
				for rows.Next() {
					var m threadInput
					var refs string
					if err := rows.Scan(&m.id, &m.messageID, &m.inReplyTo, &refs, &m.subject); err != nil {
						rows.Close()
						return err
					}
					m.references = strings.Fields(refs)
					in = append(in, m)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
				more = len(in) == batch
				return threadMessages(tx, account, in)
			})
			if err != nil {
				return fmt.Errorf("store: thread stored messages: %w", err)
			}
		}
	}
	return nil
}

// Conversation is a snapshot of one thread as a folder's conversation
// list shows it.
type Conversation struct {
	ThreadID int64
	// Latest is the conversation's newest message in the folder listed.
	Latest Message
	// Count and Unread count the conversation's messages in all of the
	// account's folders but Trash and Junk (unless the folder listed is
	// one of them), a message filed in two folders once.
	Count, Unread int
	// Participants are the senders, oldest first, each once.
	Participants []Address
}

// ConversationPage returns a page of the conversations that have a message
// in mailbox mailboxID, the one with the newest message there first.
func (db *DB) ConversationPage(ctx context.Context, mailboxID int64, offset, limit int) ([]Conversation, error) {
	var ids, latest []int64
	var err error
	if offset < walkLimit {
		ids, latest, err = db.walkThreads(ctx, mailboxID, offset, limit)
	} else {
		ids, latest, err = db.groupThreads(ctx, mailboxID, offset, limit)
	}
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args := make([]any, len(latest))
	for i, id := range latest {
		args[i] = id
	}
	msgs, err := db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages WHERE id IN (`+marks(len(latest))+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Message, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
	}
	out := make([]Conversation, len(ids))
	for i, t := range ids {
		out[i].ThreadID, out[i].Latest = t, byID[latest[i]]
	}
	account := out[0].Latest.Account
	skip, err := db.threadSkip(ctx, account, mailboxID)
	if err != nil {
		return nil, err
	}
	args = make([]any, 0, len(ids)+1)
	args = append(args, account)
	for _, t := range ids {
		args = append(args, t)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT thread_id, mailbox_id, message_id, seen, from_addr FROM messages
		WHERE account = ? AND thread_id IN (`+marks(len(ids))+`) AND hidden = 0
		ORDER BY coalesce(nullif(date, 0), internal_date), id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	at := make(map[int64]int, len(ids))
	for i, t := range ids {
		at[t] = i
	}
	type msgKey struct {
		thread int64
		id     string
	}
	counted := map[msgKey]bool{}
	senders := map[msgKey]bool{}
	for rows.Next() {
		var t, mb int64
		var mid, from string
		var seen bool
		if err := rows.Scan(&t, &mb, &mid, &seen, &from); err != nil {
			return nil, err
		}
		if skip[mb] {
			continue
		}
		if mid != "" {
			if counted[msgKey{t, mid}] {
				continue
			}
			counted[msgKey{t, mid}] = true
		}
		c := &out[at[t]]
		c.Count++
		if !seen {
			c.Unread++
		}
		for _, a := range decodeAddrs(from) {
			k := msgKey{t, strings.ToLower(a.Email)}
			if !senders[k] {
				senders[k] = true
				c.Participants = append(c.Participants, a)
			}
		}
	}
	return out, rows.Err()
}

// walkLimit is the offset from which ConversationPage groups the whole
// folder instead of walking it from the newest message.
const walkLimit = 1000

// walkThreads returns the threads of a page of mailboxID's conversations
// and the ID of each one's newest message there. It walks the folder's
// date index newest first, so a thread's first row is its newest message
// there, and stops once the page's threads are found: a first page reads
// a few rows a conversation (4 ms at 100,000 messages; grouping all of
// them took 200 ms), a deep one reads all the rows before it.
func (db *DB) walkThreads(ctx context.Context, mailboxID int64, offset, limit int) (ids, latest []int64, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, thread_id FROM messages WHERE mailbox_id = ? AND hidden = 0
		ORDER BY internal_date DESC, uid DESC`, mailboxID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	for rows.Next() {
		var id, t int64
		if err := rows.Scan(&id, &t); err != nil {
			return nil, nil, err
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		if len(seen) > offset {
			ids, latest = append(ids, t), append(latest, id)
			if len(ids) == limit {
				break
			}
		}
	}
	return ids, latest, rows.Err()
}

// groupThreads is walkThreads for deep pages: it groups the folder's rows
// by thread inside the covering index messages_folder_threads, in the
// order walkThreads finds them (newest internal date, then UID).
func (db *DB) groupThreads(ctx context.Context, mailboxID int64, offset, limit int) (ids, latest []int64, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT thread_id, max((internal_date << 32) | uid) AS k FROM messages
		WHERE mailbox_id = ? AND hidden = 0 GROUP BY thread_id ORDER BY k DESC LIMIT ? OFFSET ?`, mailboxID, limit, offset)
	if err != nil {
		return nil, nil, fmt.Errorf("store: conversations: %w", err)
	}
	type newest struct{ date, uid int64 }
	want := map[newest]int{}
	for rows.Next() {
		var t, k int64
		if err := rows.Scan(&t, &k); err != nil {
			rows.Close()
			return nil, nil, err
		}
		want[newest{k >> 32, k & 0xffffffff}] = len(ids)
		ids = append(ids, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return nil, nil, err
	}
	// The newest message of each thread, by its date and UID.
	args := make([]any, 0, len(ids)+1)
	args = append(args, mailboxID)
	for _, t := range ids {
		args = append(args, t)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT id, internal_date, uid FROM messages
		WHERE mailbox_id = ? AND hidden = 0 AND thread_id IN (`+marks(len(ids))+`)`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	latest = make([]int64, len(ids))
	for rows.Next() {
		var id int64
		var n newest
		if err := rows.Scan(&id, &n.date, &n.uid); err != nil {
			return nil, nil, err
		}
		if i, ok := want[n]; ok {
			latest[i] = id
		}
	}
	return ids, latest, rows.Err()
}

// threadSkip returns the mailboxes of account whose messages a
// conversation leaves out: Trash and Junk, unless the conversation is
// seen from one of them (from).
func (db *DB) threadSkip(ctx context.Context, account string, from int64) (map[int64]bool, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM mailboxes WHERE account = ? AND role IN (?, ?) AND id <> ?`,
		account, RoleTrash, RoleJunk, from)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	skip := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		skip[id] = true
	}
	return skip, rows.Err()
}

// CountConversations returns how many conversations have a message in
// mailbox mailboxID.
func (db *DB) CountConversations(ctx context.Context, mailboxID int64) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(DISTINCT thread_id) FROM messages WHERE mailbox_id = ? AND hidden = 0`, mailboxID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: conversations: %w", err)
	}
	return n, nil
}

// ConversationMessages returns the messages of thread threadID of
// account in all its folders, oldest first (by the Date header, else the
// arrival). Trash and Junk are left out unless from, the folder the
// conversation is seen from, is one of them. A message filed in several
// folders (the same Message-ID) is returned once: its copy in from if
// there is one, else its first.
func (db *DB) ConversationMessages(ctx context.Context, account string, threadID, from int64) ([]Message, error) {
	skip, err := db.threadSkip(ctx, account, from)
	if err != nil {
		return nil, err
	}
	all, err := db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages WHERE account = ? AND thread_id = ? AND hidden = 0
		ORDER BY coalesce(nullif(date, 0), internal_date), id`, account, threadID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	at := map[string]int{}
	for _, m := range all {
		if skip[m.MailboxID] {
			continue
		}
		if m.MessageID != "" {
			if i, ok := at[m.MessageID]; ok {
				if m.MailboxID == from && out[i].MailboxID != from {
					out[i] = m
				}
				continue
			}
			at[m.MessageID] = len(out)
		}
		out = append(out, m)
	}
	return out, nil
}
