package mailtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// loopback is the app's redirect listener: it answers every request with
// 200 and lets the test read the query from the Browser's result.
func loopback(t *testing.T, host string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("You can close this window."))
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", host, 1) + "/"
}

// signIn runs the authorization code flow with PKCE through the Browser and
// returns the exchanged token.
func signIn(t *testing.T, ctx context.Context, cfg *oauth2.Config, b *Browser, user, password string) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := "state-" + randomID(4)
	res, err := b.Authorize(ctx, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), user, password, true)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	q := res.RedirectURL.Query()
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect %s: want state %q and a code", res.RedirectURL, state)
	}
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "close this window") {
		t.Fatalf("loopback answered %d %q", res.Status, res.Body)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("exchange gave access %q refresh %q: want both", tok.AccessToken, tok.RefreshToken)
	}
	return tok
}

type introspection struct {
	Active   bool   `json:"active"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

func introspect(t *testing.T, s *OAuthServer, token string) introspection {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.IntrospectURL, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ResourceClientID, s.ResourceClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: HTTP %d", resp.StatusCode)
	}
	var out introspection
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantInvalidGrant(t *testing.T, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("got %v, want an invalid_grant RetrieveError", err)
	}
}

func TestOAuthCodeFlowPKCERefreshRevoke(t *testing.T) {
	ctx := context.Background()
	s := StartOAuth(t, nil)
	for _, tc := range []struct {
		name         string
		confidential bool
		host         string
	}{
		{"public client, 127.0.0.1", false, "127.0.0.1"},
		{"confidential client, localhost", true, "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := s.Config(tc.confidential, loopback(t, tc.host), "https://mail.google.com/")
			tok := signIn(t, ctx, cfg, NewBrowser(), "alice@example.test", "alice-secret")
			if got := introspect(t, s, tok.AccessToken); !got.Active || got.Username != "alice@example.test" || got.Email != "alice@example.test" {
				t.Fatalf("introspection %+v: want active alice@example.test", got)
			}

			old := *tok
			old.Expiry = time.Now().Add(-time.Minute)
			fresh, err := cfg.TokenSource(ctx, &old).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
				t.Fatalf("refresh: want a new access token and the same refresh token")
			}
			if !introspect(t, s, fresh.AccessToken).Active {
				t.Fatal("refreshed access token not active")
			}

			s.Revoke("alice@example.test")
			if introspect(t, s, fresh.AccessToken).Active {
				t.Fatal("access token still active after the grant was revoked")
			}
			_, err = cfg.TokenSource(ctx, &old).Token()
			wantInvalidGrant(t, err)
		})
	}
}

func TestOAuthRolledRefreshAndExpiry(t *testing.T) {
	ctx := context.Background()
	s := StartOAuth(t, &OAuthOptions{RollRefreshTokens: true})
	cfg := s.Config(false, loopback(t, "localhost"), "offline_access")
	tok := signIn(t, ctx, cfg, NewBrowser(), "bob@example.test", "bob-secret")
	if !introspect(t, s, tok.AccessToken).Active {
		t.Fatal("new access token not active")
	}
	s.ExpireAccessTokens("bob@example.test")
	if introspect(t, s, tok.AccessToken).Active {
		t.Fatal("expired access token still active")
	}
	used := *tok
	used.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, &used).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh did not roll the refresh token over")
	}
	_, err = cfg.TokenSource(ctx, &used).Token()
	wantInvalidGrant(t, err)
}

func TestOAuthRefusals(t *testing.T) {
	ctx := context.Background()
	s := StartOAuth(t, nil)
	cfg := s.Config(false, loopback(t, "127.0.0.1"), "openid")
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))

	t.Run("wrong password", func(t *testing.T) {
		_, err := NewBrowser().Authorize(ctx, authURL, "alice@example.test", "nope", true)
		if !errors.Is(err, ErrBrowserNoRedirect) {
			t.Fatalf("got %v, want ErrBrowserNoRedirect", err)
		}
	})
	t.Run("denied consent", func(t *testing.T) {
		res, err := NewBrowser().Authorize(ctx, authURL, "alice@example.test", "alice-secret", false)
		if err != nil {
			t.Fatal(err)
		}
		if q := res.RedirectURL.Query(); q.Get("error") != "access_denied" || q.Get("state") != "st" || q.Get("code") != "" {
			t.Fatalf("redirect %s: want error=access_denied with the state and no code", res.RedirectURL)
		}
	})
	t.Run("no verifier", func(t *testing.T) {
		res, err := NewBrowser().Authorize(ctx, authURL, "alice@example.test", "alice-secret", true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.Exchange(ctx, res.RedirectURL.Query().Get("code")); err == nil {
			t.Fatal("a code exchanged without its PKCE verifier")
		}
	})
	t.Run("code used twice", func(t *testing.T) {
		res, err := NewBrowser().Authorize(ctx, authURL, "alice@example.test", "alice-secret", true)
		if err != nil {
			t.Fatal(err)
		}
		code := res.RedirectURL.Query().Get("code")
		if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil {
			t.Fatal(err)
		}
		_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		wantInvalidGrant(t, err)
	})
	t.Run("non-loopback redirect", func(t *testing.T) {
		evil := s.Config(false, "http://attacker.example/", "openid")
		_, err := NewBrowser().Authorize(ctx, evil.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "alice@example.test", "alice-secret", true)
		if !errors.Is(err, ErrBrowserNoRedirect) {
			t.Fatalf("got %v, want the provider's own error page", err)
		}
	})
	t.Run("signed-in browser skips the login form", func(t *testing.T) {
		b := NewBrowser()
		signIn(t, ctx, cfg, b, "bob@example.test", "bob-secret")
		// A wrong password is never typed: the session cookie signs in.
		tok := signIn(t, ctx, cfg, b, "bob@example.test", "unused")
		if got := introspect(t, s, tok.AccessToken); got.Username != "bob@example.test" {
			t.Fatalf("second sign-in as %q, want bob", got.Username)
		}
	})
	t.Run("revocation endpoint", func(t *testing.T) {
		tok := signIn(t, ctx, cfg, NewBrowser(), "alice@example.test", "alice-secret")
		form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {s.PublicClientID}}
		resp, err := http.PostForm(s.RevokeURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revocation: HTTP %d", resp.StatusCode)
		}
		if introspect(t, s, tok.AccessToken).Active {
			t.Fatal("access token still active after its refresh token was revoked")
		}
		old := *tok
		old.Expiry = time.Now().Add(-time.Minute)
		_, err = cfg.TokenSource(ctx, &old).Token()
		wantInvalidGrant(t, err)
	})
	t.Run("IssueToken", func(t *testing.T) {
		tok, err := s.IssueToken("bob@example.test")
		if err != nil {
			t.Fatal(err)
		}
		if got := introspect(t, s, tok); !got.Active || got.Username != "bob@example.test" {
			t.Fatalf("introspection %+v", got)
		}
		if _, err := s.IssueToken("nobody@example.test"); err == nil {
			t.Fatal("token issued to an unknown user")
		}
	})
}
