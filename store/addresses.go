package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RecentAddress is an address seen in stored messages, for the composer's
// autocomplete.
type RecentAddress struct {
	Address
	Uses     int       // messages it appears in (From, To or Cc)
	Sent     int       // of which the user sent it (a recipient in Sent)
	LastUsed time.Time // the newest of those messages' dates
}

// RecentAddresses returns up to limit addresses of account (every account
// when empty) whose email, or a word of whose name, starts with prefix
// (case-insensitively; "" matches all), the most useful first: addresses
// the user wrote to count three times, and recent use multiplies the score
// (by 4 within 30 days, by 2 within a year).
//
// The addresses come from the small addresses table that PutMessages keeps
// up to date as it inserts messages, never from a scan of the messages;
// it keeps addresses of messages deleted since.
func (db *DB) RecentAddresses(ctx context.Context, account, prefix string, limit int) ([]RecentAddress, error) {
	if limit <= 0 {
		limit = 10
	}
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	like := escapeLike(prefix) + "%"
	now := time.Now().Unix()
	q := `SELECT email, name, uses, sent, last_used FROM addresses
		WHERE (?1 = '' OR account = ?1)
		  AND (?2 = '%' OR email LIKE ?2 ESCAPE '\' OR name LIKE ?2 ESCAPE '\' OR name LIKE '% ' || ?2 ESCAPE '\')
		ORDER BY (uses + 2 * sent) * (CASE WHEN last_used > ?3 - 30 * 86400 THEN 4
			WHEN last_used > ?3 - 365 * 86400 THEN 2 ELSE 1 END) DESC, last_used DESC, email
		LIMIT ?4`
	if account == "" {
		// The same address may be known to several accounts: merge them.
		q = `SELECT email, max(name), sum(uses), sum(sent), max(last_used) FROM (` + q[:strings.Index(q, "ORDER BY")] + `)
		GROUP BY email
		ORDER BY (sum(uses) + 2 * sum(sent)) * (CASE WHEN max(last_used) > ?3 - 30 * 86400 THEN 4
			WHEN max(last_used) > ?3 - 365 * 86400 THEN 2 ELSE 1 END) DESC, max(last_used) DESC, email
		LIMIT ?4`
	}
	rows, err := db.r.QueryContext(ctx, q, account, like, now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: addresses: %w", err)
	}
	defer rows.Close()
	var out []RecentAddress
	for rows.Next() {
		var a RecentAddress
		var last int64
		if err := rows.Scan(&a.Email, &a.Name, &a.Uses, &a.Sent, &last); err != nil {
			return nil, fmt.Errorf("store: addresses: %w", err)
		}
		a.LastUsed = fromUnix(last)
		out = append(out, a)
	}
	return out, rows.Err()
}

// escapeLike escapes LIKE's wildcards in s (the escape character is '\').
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
