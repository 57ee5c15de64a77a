package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ternmail/tern/store/query"
)

// SearchOptions narrows and pages a search. The zero value, or nil,
// searches all mail of every account, DefaultSearchLimit messages at a
// time.
type SearchOptions struct {
	// Account keeps only this account's messages; "" means all accounts.
	Account string
	// MailboxID keeps only this folder's messages (the window's "current
	// folder" scope); 0 means all mail. An in: term narrows further.
	MailboxID int64
	// Limit is the most messages returned; 0 means DefaultSearchLimit.
	Limit int
	// Below continues a search: only messages that come after this one
	// in the order of results. The zero Cursor starts at the newest.
	Below Cursor
	// Location is the time zone in which before: and after: days begin;
	// nil means time.Local.
	Location *time.Location
	// IDs, when not nil, keeps only these messages.
	IDs []int64
	// SkipText takes the text terms (words, phrases, from:, to:, cc:,
	// subject:) as holding, negated or not, and tests only the others: for
	// messages a server's search has matched on text the store may not
	// have (bodies not downloaded).
	SkipText bool
}

// DefaultSearchLimit is the page size of a search without a Limit.
const DefaultSearchLimit = 50

// Cursor is a place in the order of search results (newest first): a
// message's internal date and ID.
type Cursor struct {
	InternalDate time.Time
	ID           int64
}

// CursorOf returns the cursor just past m, for the next page after m.
func CursorOf(m Message) Cursor { return Cursor{m.InternalDate, m.ID} }

// SearchPage is one page of results, newest first.
type SearchPage struct {
	Messages []Message
	// More reports whether more messages match after the last one (see
	// SearchOptions.Below and CursorOf).
	More bool
}

// Find returns the first page of messages matching q (after opts.Below),
// newest first. It reads only what the page needs: the full-text index
// yields the set of matching IDs and the messages are walked newest first
// until the page is full, so the first results of a search over all mail
// come back at once; FindCount counts them all. A term the store cannot
// resolve (an in: folder that does not exist) returns a *query.Error.
// Find stops when ctx ends.
func (db *DB) Find(ctx context.Context, q query.Query, opts *SearchOptions) (SearchPage, error) {
	return db.find(ctx, q, opts, smallSet)
}

// find is Find with the given smallSet threshold (see walk).
func (db *DB) find(ctx context.Context, q query.Query, opts *SearchOptions, small int) (SearchPage, error) {
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	limit := o.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	p, err := db.compile(ctx, q, &o)
	if err != nil {
		return SearchPage{}, err
	}
	if o.Below.ID != 0 {
		d := unix(o.Below.InternalDate)
		p.where += ` AND (internal_date < ? OR (internal_date = ? AND id < ?))`
		p.args = append(p.args, d, d, o.Below.ID)
	}
	ids, err := db.walk(ctx, p, limit+1, small)
	if err != nil {
		return SearchPage{}, err
	}
	var page SearchPage
	if len(ids) > limit {
		ids, page.More = ids[:limit], true
	}
	if len(ids) == 0 {
		return page, nil
	}
	js, _ := json.Marshal(ids)
	page.Messages, err = db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages WHERE id IN (SELECT value FROM json_each(?))
		ORDER BY internal_date DESC, id DESC`, string(js))
	return page, err
}

// FindCount returns how many messages match q (opts.Limit and opts.Below
// are ignored).
func (db *DB) FindCount(ctx context.Context, q query.Query, opts *SearchOptions) (int, error) {
	return db.findCount(ctx, q, opts, smallSet)
}

func (db *DB) findCount(ctx context.Context, q query.Query, opts *SearchOptions, small int) (int, error) {
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	p, err := db.compile(ctx, q, &o)
	if err != nil {
		return 0, err
	}
	if p.match == "" && len(p.nots) == 0 {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE `+p.where, p.args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("store: %w", err)
		}
		return n, nil
	}
	ids, err := db.walk(ctx, p, -1, small)
	return len(ids), err
}

// plan is a compiled query: an SQL condition on table messages, and the
// full-text expressions that the matching IDs must (match) and must not
// (nots) be found by.
type plan struct {
	where string
	args  []any
	match string
	nots  []string
}

// smallSet is the size up to which the IDs found by the full-text index
// are handed to SQL, which then reads only those rows; a bigger set is
// tested while walking the messages newest first, which stops as soon as
// the page is full.
const smallSet = 2000

// walk returns the IDs of up to limit (all when negative) messages
// matching p, newest first. A set of IDs found by the full-text index of up
// to small IDs is handed to SQL; a bigger one is tested in the walk.
func (db *DB) walk(ctx context.Context, p plan, limit, small int) ([]int64, error) {
	var pos *idSet
	if p.match != "" {
		var err error
		if pos, err = db.ftsIDs(ctx, p.match); err != nil {
			return nil, err
		}
		if pos.n == 0 {
			return nil, nil
		}
		if pos.n <= small {
			js, _ := json.Marshal(pos.list())
			p.where += " AND id IN (SELECT value FROM json_each(?))"
			p.args = append(p.args, string(js))
			pos = nil
		}
	}
	var nots []*idSet
	for _, m := range p.nots {
		s, err := db.ftsIDs(ctx, m)
		if err != nil {
			return nil, err
		}
		nots = append(nots, s)
	}
	q := `SELECT id FROM messages WHERE ` + p.where + ` ORDER BY internal_date DESC, id DESC`
	if pos == nil && len(nots) == 0 && limit >= 0 {
		q += " LIMIT ?"
		p.args = append(p.args, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, p.args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var ids []int64
next:
	for rows.Next() && (limit < 0 || len(ids) < limit) {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if pos != nil && !pos.has(id) {
			continue
		}
		for _, s := range nots {
			if s.has(id) {
				continue next
			}
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ids, nil
}

// ftsIDs returns the IDs of the messages that the full-text expression
// match finds. They come as one string of decimal IDs: a row per ID cost
// the driver more than the index took to find them.
func (db *DB) ftsIDs(ctx context.Context, match string) (*idSet, error) {
	var list sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT group_concat(rowid, ' ') FROM messages_fts WHERE messages_fts MATCH ?`, match).Scan(&list)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &idSet{}
	var id int64
	digits := false
	for i := 0; i < len(list.String); i++ {
		if c := list.String[i]; c >= '0' && c <= '9' {
			id, digits = id*10+int64(c-'0'), true
			continue
		}
		if digits {
			s.add(id)
		}
		id, digits = 0, false
	}
	if digits {
		s.add(id)
	}
	return s, nil
}

// idSet is a set of message IDs, a bit each.
type idSet struct {
	bits []uint64
	n    int
}

func (s *idSet) add(id int64) {
	if id < 0 {
		return
	}
	w := int(id / 64)
	if w >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, w+1-len(s.bits)+len(s.bits)/2)...)
	}
	if s.bits[w]&(1<<(id%64)) == 0 {
		s.bits[w] |= 1 << (id % 64)
		s.n++
	}
}

func (s *idSet) has(id int64) bool {
	w := int(id / 64)
	return id >= 0 && w < len(s.bits) && s.bits[w]&(1<<(id%64)) != 0
}

func (s *idSet) list() []int64 {
	out := make([]int64, 0, s.n)
	for w, b := range s.bits {
		for ; b != 0; b &= b - 1 {
			out = append(out, int64(w*64+bits.TrailingZeros64(b)))
		}
	}
	return out
}

// Search parses text as a query (see package query) and returns up to
// limit matching messages of account (all accounts when empty), newest
// first; an empty query finds nothing. A query that does not parse returns
// a *query.Error.
func (db *DB) Search(ctx context.Context, account, text string, limit int) ([]Message, error) {
	q, err := query.Parse(text)
	if err != nil {
		return nil, err
	}
	if q.Empty() {
		return nil, nil
	}
	page, err := db.Find(ctx, q, &SearchOptions{Account: account, Limit: limit})
	return page.Messages, err
}

// compile returns the plan of q and o. Every user string is an argument;
// those that go into an FTS5 MATCH are quoted as FTS5 strings, so that no
// user input is read as FTS5 syntax.
func (db *DB) compile(ctx context.Context, q query.Query, o *SearchOptions) (plan, error) {
	var p plan
	conds := []string{"hidden = 0"}
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if o.Account != "" {
		add("account = ?", o.Account)
	}
	if o.MailboxID != 0 {
		add("mailbox_id = ?", o.MailboxID)
	}
	if o.IDs != nil {
		ids, _ := json.Marshal(o.IDs)
		add("id IN (SELECT value FROM json_each(?))", string(ids))
	}
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	var match []string // the positive full-text terms, all of which must hold
	for _, t := range q.Terms {
		not := ""
		if t.Neg {
			not = "NOT "
		}
		switch t.Kind {
		case query.Text, query.From, query.To, query.Cc, query.Subject:
			if o.SkipText {
				continue
			}
			m, like := ftsTerm(t)
			if m == "" {
				continue // nothing searchable in it ("***")
			}
			if !t.Neg {
				match = append(match, m)
				for _, l := range like {
					add(l[0], l[1])
				}
				continue
			}
			if len(like) == 0 {
				p.nots = append(p.nots, m)
				continue
			}
			cond := "id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
			a := []any{m}
			for _, l := range like {
				cond += " AND " + l[0]
				a = append(a, l[1])
			}
			add("NOT ("+cond+")", a...)
		case query.HasAttachment:
			add(not + "has_attachments")
		case query.Unread:
			add(not + "(seen = 0)")
		case query.Read:
			add(not + "seen")
		case query.Starred:
			add(not + "flagged")
		case query.Before:
			add(not+"(internal_date < ?)", t.Date.In(loc).Unix())
		case query.After:
			next := t.Date.In(loc).AddDate(0, 0, 1)
			add(not+"(internal_date >= ?)", next.Unix())
		case query.Account:
			add(not+"(account = ?)", t.Value)
		case query.In:
			ids, err := db.folderIDs(ctx, t.Value)
			if err != nil {
				return p, err
			}
			if len(ids) == 0 {
				return p, q.Errorf(t, "no folder %q", t.Value)
			}
			js, _ := json.Marshal(ids)
			add(not+"(mailbox_id IN (SELECT value FROM json_each(?)))", string(js))
		}
	}
	p.match = strings.Join(match, " AND ")
	p.where, p.args = strings.Join(conds, " AND "), args
	return p, nil
}

// ftsTerm returns the FTS5 expression of a text term, or "" when the term
// holds no word the index knows. A word is a prefix ("cof" finds
// "coffee"; a single letter is only itself: as a prefix it would ask the
// index for most of its words), a phrase is exact. For from:, to: and cc:, which share the
// index's addresses column, like holds LIKE conditions ([condition,
// argument]) on the term's own header for each ASCII word of two letters
// or more (LIKE folds only ASCII case; shorter words would match the
// stored JSON's keys), so that from:alice does not find mail to Alice.
func ftsTerm(t query.Term) (match string, like [][2]string) {
	if !hasWord(t.Value) {
		return "", nil
	}
	s := `"` + strings.ReplaceAll(t.Value, `"`, `""`) + `"`
	if !t.Phrase && utf8.RuneCountInString(t.Value) > 1 {
		s += "*"
	}
	col := ""
	switch t.Kind {
	case query.Subject:
		col = "subject"
	case query.From, query.To, query.Cc:
		col = "addresses"
		field := map[query.Kind]string{query.From: "from_addr", query.To: "to_addr", query.Cc: "cc_addr"}[t.Kind]
		for _, w := range words(t.Value) {
			if len(w) >= 2 && isASCII(w) {
				like = append(like, [2]string{field + " LIKE ?", "%" + w + "%"})
			}
		}
	}
	if col != "" {
		s = col + " : " + s
	}
	return s, like
}

// isWordRune reports whether r is part of a word for the index's
// unicode61 tokenizer.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

func hasWord(s string) bool { return strings.IndexFunc(s, isWordRune) >= 0 }

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) })
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Folder roles as people type them after in:, beside the role names
// themselves.
var roleAliases = map[string]Role{"spam": RoleJunk, "starred": RoleFlagged, "deleted": RoleTrash, "bin": RoleTrash}

// folderIDs returns the mailboxes, of all accounts, that name (as typed
// after in:) names: by the path people see or the server's name, or by
// role ("inbox", "sent", …), ignoring case.
func (db *DB) folderIDs(ctx context.Context, name string) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, delim, prefix, role FROM mailboxes`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	role := Role(strings.ToLower(name))
	if r, ok := roleAliases[string(role)]; ok {
		role = r
	}
	var ids []int64
	for rows.Next() {
		var mb Mailbox
		if err := rows.Scan(&mb.ID, &mb.Name, &mb.Delim, &mb.Prefix, &mb.Role); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if strings.EqualFold(mb.Path(), name) || strings.EqualFold(mb.Name, name) || (mb.Role != "" && mb.Role == role) {
			ids = append(ids, mb.ID)
		}
	}
	return ids, rows.Err()
}

// IDsByUID returns the IDs of the stored messages among uids of mailbox
// mailboxID at uidValidity, by UID; UIDs the store does not hold are
// missing from the map.
func (db *DB) IDsByUID(ctx context.Context, mailboxID int64, uidValidity uint32, uids []uint32) (map[uint32]int64, error) {
	js, _ := json.Marshal(uids)
	rows, err := db.r.QueryContext(ctx, `SELECT uid, id FROM messages WHERE mailbox_id = ? AND uidvalidity = ?
		AND uid IN (SELECT value FROM json_each(?))`, mailboxID, uidValidity, string(js))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := make(map[uint32]int64, len(uids))
	for rows.Next() {
		var uid uint32
		var id int64
		if err := rows.Scan(&uid, &id); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[uid] = id
	}
	return out, rows.Err()
}

// MailboxesMissingBodies returns the selectable mailboxes of account
// whose mail the store holds only in part: a message without its body, or
// fewer messages than the server had at the last sync. A search of these
// may find more on the server.
func (db *DB) MailboxesMissingBodies(ctx context.Context, account string) ([]Mailbox, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes mb WHERE mb.account = ? AND mb.selectable
		AND (mb.stored < mb.server_total OR mb.uidnext = 0
			OR mb.id IN (SELECT DISTINCT mailbox_id FROM messages WHERE account = ? AND has_body = 0 AND hidden = 0))`,
		account, account)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
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
