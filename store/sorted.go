package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SortKey is what a folder's messages are ordered by.
type SortKey string

// The orders a folder's list can have.
const (
	SortDate      SortKey = "date"      // the date the server received it
	SortSender    SortKey = "sender"    // the first From's name, else its address
	SortRecipient SortKey = "recipient" // the first To's name, else its address
	SortSubject   SortKey = "subject"   // ignoring ASCII case
	SortSize      SortKey = "size"
)

// Sort is an order of a folder's messages. The zero Sort is newest first.
type Sort struct {
	Key       SortKey // "" means SortDate
	Ascending bool
}

// sortExpr holds the expression each key orders by. sortIndex indexes each
// (after mailbox_id, hidden; before internal_date, uid) with the very same
// text, which SQLite needs to use the index.
var sortExpr = map[SortKey]string{
	SortDate:      `internal_date`,
	SortSender:    sortAddrExpr("from_addr"),
	SortRecipient: sortAddrExpr("to_addr"),
	SortSubject:   `subject COLLATE NOCASE`,
	SortSize:      `size`,
}

// sortIndex names the index each order other than the date reads. They
// are made the first time the order is asked for, not by a migration:
// every index slows the storing of headers (four of them by 20-30% in
// BenchmarkPutMessagesSortIndexes), and most people never sort by anything
// but the date.
var sortIndex = map[SortKey]string{
	SortSender:    "messages_by_sender",
	SortRecipient: "messages_by_recipient",
	SortSubject:   "messages_by_subject",
	SortSize:      "messages_by_size",
}

// ensureSortIndex makes key's index if it does not exist yet. In a large
// store that takes a while (once), on the single writer.
func (db *DB) ensureSortIndex(ctx context.Context, key SortKey) error {
	name, ok := sortIndex[key]
	if !ok {
		return nil
	}
	if _, done := db.sortIndexes.Load(key); done {
		return nil
	}
	err := db.writeQuiet(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE INDEX IF NOT EXISTS ` + name + ` ON messages (mailbox_id, hidden, ` + sortExpr[key] + `, internal_date, uid)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: index for sorting by %s: %w", key, err)
	}
	db.sortIndexes.Store(key, struct{}{})
	return nil
}

// sortAddrExpr is the lower-cased display of a column's first address.
func sortAddrExpr(col string) string {
	return `lower(CASE WHEN json_valid(` + col + `) THEN coalesce(nullif(json_extract(` + col + `, '$[0].n'), ''), json_extract(` + col + `, '$[0].e'), '') ELSE '' END)`
}

// orderBy returns s's ORDER BY clause: the key, then the date and UID in
// the same direction, so that one index serves both directions.
func (s Sort) orderBy() (string, error) {
	key := s.Key
	if key == "" {
		key = SortDate
	}
	expr, ok := sortExpr[key]
	if !ok {
		return "", fmt.Errorf("store: unknown sort key %q", key)
	}
	dir := " DESC"
	if s.Ascending {
		dir = " ASC"
	}
	if key == SortDate {
		return `internal_date` + dir + `, uid` + dir, nil
	}
	return expr + dir + `, internal_date` + dir + `, uid` + dir, nil
}

// MessagesSorted returns a page of mailbox mailboxID in order s. Every
// order reads an index, so that a page deep in a 100,000-message folder
// costs about what the first does; the first call for an order other than
// the date makes its index.
func (db *DB) MessagesSorted(ctx context.Context, mailboxID int64, s Sort, offset, limit int) ([]Message, error) {
	order, err := s.orderBy()
	if err != nil {
		return nil, err
	}
	if err := db.ensureSortIndex(ctx, s.Key); err != nil {
		return nil, err
	}
	return db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages WHERE mailbox_id = ? AND hidden = 0
		ORDER BY `+order+` LIMIT ? OFFSET ?`, mailboxID, limit, offset)
}

// Valid returns an error if s's key is not one of the SortKey constants.
func (s Sort) Valid() error {
	_, err := s.orderBy()
	return err
}
