package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
	"golang.org/x/oauth2"
)

// Opener opens url in the user's browser. The window passes its
// App.OpenURL; the command line a program such as xdg-open; tests a
// client that signs in.
type Opener func(url string) error

// DefaultTimeout is how long a sign-in waits for the browser when
// Options.Timeout is zero.
const DefaultTimeout = 5 * time.Minute

// Options tune a sign-in. A nil *Options means the defaults.
type Options struct {
	// Timeout bounds the wait for the browser's redirect; DefaultTimeout
	// when zero.
	Timeout time.Duration
	// HTTPClient makes the token requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// LoginHint is the account's address, sent as login_hint so that the
	// provider proposes the right account.
	LoginHint string
}

func (o *Options) timeout() time.Duration {
	if o == nil || o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (o *Options) client() *http.Client {
	if o == nil || o.HTTPClient == nil {
		return http.DefaultClient
	}
	return o.HTTPClient
}

// Flow is one sign-in in progress: a listener on 127.0.0.1 waiting for the
// browser's redirect. A Flow is safe for concurrent use; Wait returns once
// and Close may be called any number of times.
type Flow struct {
	p        Provider
	cfg      *oauth2.Config
	opts     *Options
	verifier string
	state    string
	url      string
	ln       net.Listener
	srv      *http.Server

	mu    sync.Mutex
	taken bool // a redirect was accepted (or refused): the flow is over
	done  chan struct{}
	tok   *oauth2.Token
	err   error

	closeOnce sync.Once
}

// Start begins a sign-in with p: it listens on 127.0.0.1 on a port of the
// system's choosing and makes the authorization URL, with PKCE (S256) and
// a random state. Open URL in the browser, then call Wait.
func Start(p Provider, opts *Options) (*Flow, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the browser's redirect on 127.0.0.1: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	host := p.RedirectHost
	if host == "" {
		host = "127.0.0.1"
	}
	redirect := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/"
	if host == "localhost" {
		// Microsoft matches http://localhost redirects without their
		// port, but with their path: the registered "http://localhost"
		// has none.
		redirect = redirect[:len(redirect)-1]
	}
	f := &Flow{
		p:        p,
		cfg:      p.config(redirect),
		opts:     opts,
		verifier: oauth2.GenerateVerifier(),
		state:    randomState(),
		ln:       ln,
		done:     make(chan struct{}),
	}
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}
	for k, v := range p.AuthParams {
		params = append(params, oauth2.SetAuthURLParam(k, v))
	}
	if opts != nil && opts.LoginHint != "" {
		params = append(params, oauth2.SetAuthURLParam("login_hint", opts.LoginHint))
	}
	f.url = f.cfg.AuthCodeURL(f.state, params...)
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	goroutine.Go("oauth redirect listener", nil, func() { f.srv.Serve(ln) })
	return f, nil
}

func randomState() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// URL returns the authorization URL to open in the browser.
func (f *Flow) URL() string { return f.url }

// RedirectURL returns the loopback redirect URI the provider sends the
// browser back to.
func (f *Flow) RedirectURL() string { return f.cfg.RedirectURL }

// serve answers the browser's redirect: the first request to "/" decides
// the flow; later ones are told it is over.
func (f *Flow) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "" {
		http.NotFound(w, r)
		return
	}
	tok, err, first := f.complete(r.Context(), r.URL.Query())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case !first:
		w.WriteHeader(http.StatusConflict)
		page(w, "This sign-in is over", "You can close this tab and go back to Tern.")
	case err != nil:
		w.WriteHeader(http.StatusBadRequest)
		page(w, "Tern could not sign you in", err.Error()+". You can close this tab and go back to Tern.")
	default:
		_ = tok
		page(w, "Tern is signed in", "You can close this tab and go back to Tern.")
	}
}

func page(w http.ResponseWriter, title, text string) {
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>%s</title><h1>%s</h1><p>%s</p>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

// Redirected completes the flow with the redirect URL the user pasted
// (for a browser on another machine, or one that could not reach the
// listener). It returns what Wait returns.
func (f *Flow) Redirected(ctx context.Context, redirectURL string) (*oauth2.Token, error) {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return nil, fmt.Errorf("that is not the address the browser came back to: %w", err)
	}
	tok, err, first := f.complete(ctx, u.Query())
	if !first {
		return f.Wait(ctx)
	}
	return tok, err
}

// complete takes the flow's one redirect: it checks the state, reads the
// code or the error and exchanges the code. first is false when another
// redirect already took the flow.
func (f *Flow) complete(ctx context.Context, q url.Values) (tok *oauth2.Token, err error, first bool) {
	f.mu.Lock()
	if f.taken {
		f.mu.Unlock()
		return nil, nil, false
	}
	f.taken = true
	f.mu.Unlock()

	defer func() {
		f.mu.Lock()
		f.tok, f.err = tok, err
		f.mu.Unlock()
		close(f.done)
	}()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1 {
		return nil, ErrStateMismatch, true
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, ErrDenied, true
		}
		return nil, &ProviderError{Code: clean(e), Description: clean(q.Get("error_description"))}, true
	}
	code := q.Get("code")
	if code == "" {
		return nil, ErrNoCode, true
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, f.opts.client()), time.Minute)
	defer cancel()
	tok, err = f.cfg.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, tokenError("exchanging the sign-in code", err), true
	}
	if tok.RefreshToken == "" {
		return nil, ErrNoRefreshToken, true
	}
	return tok, nil, true
}

// Wait waits for the browser's redirect and returns the tokens: the
// access token, its expiry and the refresh token. It fails with
// ErrStateMismatch, ErrNoCode, ErrDenied, a *ProviderError, ErrTimedOut
// after the flow's timeout, or ErrCanceled when ctx ends. Wait closes the
// flow.
func (f *Flow) Wait(ctx context.Context) (*oauth2.Token, error) {
	defer f.Close()
	t := time.NewTimer(f.opts.timeout())
	defer t.Stop()
	select {
	case <-f.done:
	case <-ctx.Done():
		if !f.take() {
			<-f.done // a redirect came in meanwhile: its outcome counts
			break
		}
		return nil, fmt.Errorf("%w (%w)", ErrCanceled, context.Cause(ctx))
	case <-t.C:
		if !f.take() {
			<-f.done
			break
		}
		return nil, ErrTimedOut
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tok, f.err
}

// take marks the flow over without a redirect; it reports false when a
// redirect already took it.
func (f *Flow) take() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.taken {
		return false
	}
	f.taken = true
	return true
}

// Close stops the listener. A redirect after Close finds nothing.
func (f *Flow) Close() error {
	f.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
	})
	return nil
}

// SignIn runs a whole sign-in with p: it starts a Flow, opens its URL
// through open exactly once, and waits. When open fails, the error is an
// *OpenError with the URL to open by hand (the flow is then abandoned;
// use Start to keep waiting).
func SignIn(ctx context.Context, p Provider, open Opener, opts *Options) (*oauth2.Token, error) {
	f, err := Start(p, opts)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := open(f.URL()); err != nil {
		return nil, &OpenError{URL: f.URL(), Err: err}
	}
	return f.Wait(ctx)
}

// tokenError puts an error of the token endpoint in words. It never
// includes a token: the oauth2 package's errors carry the response, which
// holds none when it is an error.
func tokenError(doing string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "" {
			return fmt.Errorf("%s: the provider answered HTTP %d", doing, re.Response.StatusCode)
		}
		return &ProviderError{Code: clean(re.ErrorCode), Description: clean(re.ErrorDescription)}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: cannot reach the provider: %w", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
