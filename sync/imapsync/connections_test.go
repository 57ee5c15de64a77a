package imapsync

import (
	"testing"

	"github.com/ternmail/tern/accounts"
)

// TestConnectionsFromAccount: the account's sync.connections sets how many
// connections the engine keeps, unless the options set it; without
// either, two.
func TestConnectionsFromAccount(t *testing.T) {
	one := accounts.Account{ID: "a", Sync: accounts.SyncSettings{Connections: 1}}
	for _, c := range []struct {
		name string
		acct accounts.Account
		opts *Options
		want int
	}{
		{"account", one, nil, 1},
		{"account, options without", one, &Options{BatchSize: 10}, 1},
		{"options win", one, &Options{Connections: 2}, 2},
		{"default", accounts.Account{ID: "a"}, nil, 2},
	} {
		if got := New(nil, c.acct, c.opts).opts.Connections; got != c.want {
			t.Errorf("%s: %d connections, want %d", c.name, got, c.want)
		}
	}
}
