package app

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestHealthShowsSignInAgain finds an OAuth account whose grant was
// revoked in the health report's local state, with a Sign in again
// action, and no more once signed in again.
func TestHealthShowsSignInAgain(t *testing.T) {
	const user, password = "alice@example.com", "alice-pw"
	srv := mailtest.StartOAuth(t, &mailtest.OAuthOptions{Users: []mailtest.OAuthUser{{Name: user, Password: password}}})
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	ctx := context.Background()
	var opened atomic.Int32
	g, err := c.SignInNew(ctx, oauthAccount(srv, user), browserOpener(user, password, &opened))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.AddAccount(ctx, oauthAccount(srv, user), "", &AddOptions{SkipVerify: true, OAuth: g})
	if err != nil {
		t.Fatal(err)
	}
	hopts := &HealthOptions{Timeout: 5 * time.Second}
	signInDiag := func(r *HealthReport) *HealthDiagnosis {
		for i, d := range r.Local.Diagnoses {
			if d.Code == HealthDiagSignIn {
				return &r.Local.Diagnoses[i]
			}
		}
		return nil
	}
	r, err := c.Health(ctx, a.ID, hopts)
	if err != nil || r.Local.SignIn || signInDiag(r) != nil {
		t.Fatalf("signed in, yet the report says sign in again: %v %+v", err, r.Local)
	}

	srv.Revoke(user)
	ts, _ := c.TokenSource(a.ID)
	if _, err := ts.Renew(ctx, g.AccessToken()); err == nil {
		t.Fatal("renewed a revoked grant")
	}
	r, err = c.Health(ctx, a.ID, hopts)
	if err != nil {
		t.Fatal(err)
	}
	d := signInDiag(r)
	if !r.Local.SignIn || r.Local.Sync != string(StateSignIn) || d == nil || d.Action == nil ||
		d.Action.Kind != HealthSignIn || d.Action.Label != "Sign in again" || !strings.Contains(d.Fix, "tern account reauth "+a.ID) || !r.Failed() {
		t.Fatalf("after the revocation: %+v, diagnosis %+v", r.Local, d)
	}

	if err := c.SignIn(ctx, a.ID, browserOpener(user, password, &opened)); err != nil {
		t.Fatal(err)
	}
	if r, err = c.Health(ctx, a.ID, hopts); err != nil || r.Local.SignIn || signInDiag(r) != nil {
		t.Fatalf("signed in again, yet: %v %+v", err, r.Local)
	}
}
