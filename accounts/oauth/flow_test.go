package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testProvider points at a token endpoint nothing listens on: the tests
// here end before any code is exchanged.
func testProvider() Provider {
	return Provider{AuthURL: "https://auth.invalid/authorize", TokenURL: "https://auth.invalid/token",
		Scopes: []string{"mail"}, RedirectHost: "127.0.0.1", Client: Client{ID: "tern-test"}}
}

// redirectTo plays the browser coming back: it requests the flow's
// redirect URI with query q (state filled in unless q has one) and
// returns the page's status.
func redirectTo(t *testing.T, f *Flow, q url.Values) int {
	t.Helper()
	if _, ok := q["state"]; !ok {
		q.Set("state", stateOf(t, f))
	}
	resp, err := http.Get(f.RedirectURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func stateOf(t *testing.T, f *Flow) string {
	u, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

func TestAuthorizationURL(t *testing.T) {
	p := testProvider()
	p.AuthParams = map[string]string{"access_type": "offline", "prompt": "consent"}
	f, err := Start(p, &Options{LoginHint: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, _ := url.Parse(f.URL())
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "tern-test",
		"code_challenge_method": "S256", "access_type": "offline", "prompt": "consent",
		"login_hint": "alice@example.com", "scope": "mail", "redirect_uri": f.RedirectURL()} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 32 {
		t.Errorf("challenge %q, state %q: want a 43-character S256 challenge and a long state", q.Get("code_challenge"), q.Get("state"))
	}
	if !strings.HasPrefix(f.RedirectURL(), "http://127.0.0.1:") || strings.HasSuffix(f.RedirectURL(), ":0/") {
		t.Errorf("redirect %q, want http://127.0.0.1:PORT/", f.RedirectURL())
	}
	g, _ := Start(p, nil)
	defer g.Close()
	if stateOf(t, g) == stateOf(t, f) {
		t.Error("two flows have the same state")
	}
}

func TestMicrosoftRedirectIsLocalhostWithoutPath(t *testing.T) {
	p := testProvider()
	p.RedirectHost = "localhost"
	f, err := Start(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, _ := url.Parse(f.RedirectURL())
	if u.Hostname() != "localhost" || u.Port() == "" || u.Path != "" {
		t.Fatalf("redirect %q, want http://localhost:PORT", f.RedirectURL())
	}
	// The listener is on 127.0.0.1 all the same: the browser's redirect
	// arrives.
	q := url.Values{"error": {"access_denied"}}
	if code := redirectTo(t, f, q); code != http.StatusBadRequest {
		t.Errorf("status %d", code)
	}
	if _, err := f.Wait(context.Background()); !errors.Is(err, ErrDenied) {
		t.Errorf("err %v, want ErrDenied", err)
	}
}

func TestRedirectRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query url.Values
		want  error
		words string
	}{
		{"forged state", url.Values{"state": {"forged"}, "code": {"c"}}, ErrStateMismatch, "did not start"},
		{"no state", url.Values{"state": {""}, "code": {"c"}}, ErrStateMismatch, "state value does not match"},
		{"missing code", url.Values{}, ErrNoCode, "without a sign-in code"},
		{"denied", url.Values{"error": {"access_denied"}, "error_description": {"The user said no"}}, ErrDenied, "permission was not given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Start(testProvider(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if code := redirectTo(t, f, tc.query); code != http.StatusBadRequest {
				t.Errorf("page status %d, want 400", code)
			}
			_, err = f.Wait(context.Background())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestProviderErrorInWords(t *testing.T) {
	f, _ := Start(testProvider(), nil)
	redirectTo(t, f, url.Values{"error": {"server_error"}, "error_description": {"down\r\nfor <b>maintenance</b>"}})
	_, err := f.Wait(context.Background())
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Code != "server_error" || strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("err %q, want a one-line *ProviderError", err)
	}
}

func TestOnlyTheFirstRedirectCounts(t *testing.T) {
	f, _ := Start(testProvider(), nil)
	defer f.Close()
	redirectTo(t, f, url.Values{"error": {"access_denied"}})
	if code := redirectTo(t, f, url.Values{"code": {"late"}}); code != http.StatusConflict && code != 0 {
		t.Errorf("second redirect: status %d, want 409", code)
	}
	if _, err := f.Wait(context.Background()); !errors.Is(err, ErrDenied) {
		t.Errorf("err %v", err)
	}
	// After Wait the listener is closed.
	if _, err := http.Get(f.RedirectURL() + "?code=x&state=" + stateOf(t, f)); err == nil {
		t.Error("the redirect listener still answers after the flow ended")
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	f, _ := Start(testProvider(), &Options{Timeout: time.Millisecond})
	if _, err := f.Wait(context.Background()); !errors.Is(err, ErrTimedOut) {
		t.Errorf("timeout: err %v", err)
	}
	g, _ := Start(testProvider(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Wait(ctx); !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: err %v", err)
	}
}

func TestSignInOpensTheBrowserOnce(t *testing.T) {
	var opened atomic.Int32
	open := func(u string) error {
		opened.Add(1)
		// The browser: the user refuses.
		q, _ := url.Parse(u)
		redirect := q.Query().Get("redirect_uri")
		resp, err := http.Get(redirect + "?error=access_denied&state=" + url.QueryEscape(q.Query().Get("state")))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if _, err := SignIn(context.Background(), testProvider(), open, nil); !errors.Is(err, ErrDenied) {
		t.Fatalf("err %v", err)
	}
	if n := opened.Load(); n != 1 {
		t.Fatalf("browser opened %d times, want 1", n)
	}
	_, err := SignIn(context.Background(), testProvider(), func(string) error { return errors.New("no browser") }, nil)
	var oe *OpenError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "open this address yourself: https://auth.invalid/") {
		t.Fatalf("err %v, want an *OpenError with the URL", err)
	}
}

func TestNoClientConfigured(t *testing.T) {
	t.Setenv(EnvGoogleClientID, "")
	t.Setenv(EnvMicrosoftClientID, "")
	for _, id := range []string{"google", "microsoft"} {
		_, err := FromSettings(accountsSettings(id, ""))
		var nc *NoClientError
		if !errors.As(err, &nc) || !strings.Contains(err.Error(), "app password") {
			t.Errorf("%s: err %v, want a *NoClientError that offers an app password", id, err)
		}
	}
	t.Setenv(EnvGoogleClientID, "from-env")
	t.Setenv(EnvGoogleClientSecret, "env-secret")
	p, err := FromSettings(accountsSettings("google", ""))
	if err != nil || p.Client.ID != "from-env" || p.Client.Secret != "env-secret" || p.TokenURL != Google.TokenURL {
		t.Errorf("env: %+v %v", p, err)
	}
	p, err = FromSettings(accountsSettings("google", "from-toml"))
	if err != nil || p.Client.ID != "from-toml" {
		t.Errorf("accounts.toml over env: %+v %v", p.Client, err)
	}
}
