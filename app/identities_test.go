package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts"
)

func TestCheckIdentities(t *testing.T) {
	id := func(email string, def bool) Identity {
		return Identity{Identity: accounts.Identity{Email: email}, Default: def}
	}
	for _, tc := range []struct {
		name string
		ids  []Identity
		want string // part of the error; "" for none
	}{
		{"none", nil, ""},
		{"default moved first", []Identity{id("a@x.example", false), id("b@x.example", true), id("c@x.example", false)}, ""},
		{"no default", []Identity{id("a@x.example", false)}, "Choose which identity is the default"},
		{"two defaults", []Identity{id("a@x.example", true), id("b@x.example", true)}, "Only one identity can be the default"},
		{"duplicate", []Identity{id("a@x.example", true), id("A@X.example", false)}, "Identities 1 and 2 both send from A@X.example"},
		{"alias duplicate", []Identity{{Identity: accounts.Identity{Email: "a@x.example", Aliases: []string{"b@x.example"}}, Default: true}, id("b@x.example", false)}, "both send from b@x.example"},
		{"bad address", []Identity{id("a@", true)}, "“a@” is not an email address"},
		{"empty address", []Identity{id(" ", true)}, "Identity 1 has no email address"},
		{"name with a line break", []Identity{{Identity: accounts.Identity{Name: "A\nB", Email: "a@x.example"}, Default: true}}, "line break"},
		{"bad reply-to", []Identity{{Identity: accounts.Identity{Email: "a@x.example", ReplyTo: "nope"}, Default: true}}, "reply-to address “nope”"},
	} {
		got, err := checkIdentities(tc.ids)
		if tc.want == "" {
			var order []string
			for _, g := range got {
				order = append(order, g.Email)
			}
			if err != nil || len(tc.ids) > 0 && strings.Join(order, " ") != "b@x.example a@x.example c@x.example" {
				t.Errorf("%s: %v, order %q", tc.name, err, order)
			}
			continue
		}
		var ie *IdentityError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
