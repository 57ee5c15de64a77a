package mailtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"

	"github.com/ternmail/tern/internal/goroutine"
)

// OAuthUser is an account of an OAuthServer. Name is the login name and
// the token's subject; Email (Name if empty) is the address the
// introspection and userinfo responses carry, which is what Dovecot
// matches against the SASL user name.
type OAuthUser struct {
	Name     string
	Password string
	Email    string
}

// OAuthOptions configures StartOAuth. A nil *OAuthOptions means defaults.
type OAuthOptions struct {
	// Users that can sign in. Empty means one user per RealDefaultUsers
	// entry, with the same name and password.
	Users []OAuthUser
	// AccessTokenLifetime is how long an access token is valid. Zero
	// means one hour.
	AccessTokenLifetime time.Duration
	// RollRefreshTokens makes every refresh return a new refresh token and
	// invalidate the one used (as Microsoft does). Otherwise the refresh
	// token stays the same (as Google does).
	RollRefreshTokens bool
	// Logf, if set, receives a line per sign-in, consent, grant and
	// revocation.
	Logf func(format string, args ...any)
}

// OAuthServer is an OAuth 2.0 / OpenID Connect provider on 127.0.0.1, built
// on zitadel/oidc's op package with an in-memory storage: authorization
// code with PKCE, refresh tokens, introspection and revocation, a login
// form and a consent step.
//
// Its clients are native apps, so any loopback redirect URI is accepted
// whatever its port ("http://127.0.0.1:PORT/", "http://localhost:PORT").
// Every request to the server asks for offline access implicitly: a code
// exchange always returns a refresh token, whatever the scopes.
//
// An OAuthServer is safe for concurrent use.
type OAuthServer struct {
	Issuer        string // "http://127.0.0.1:PORT"
	AuthURL       string // authorization endpoint
	TokenURL      string // token endpoint
	IntrospectURL string // token introspection (RFC 7662), for resource servers
	RevokeURL     string // token revocation (RFC 7009)
	LoginURL      string // the login form (reached through AuthURL)

	// PublicClientID is a client without a secret (like Microsoft's
	// desktop clients): PKCE is required.
	PublicClientID string
	// ConfidentialClientID and ConfidentialClientSecret are a client with
	// a secret sent in the token request (like Google's "Desktop app").
	ConfidentialClientID     string
	ConfidentialClientSecret string
	// ResourceClientID and ResourceClientSecret authenticate a resource
	// server (Dovecot) to the introspection endpoint.
	ResourceClientID     string
	ResourceClientSecret string

	store    *oauthStore
	provider *op.Provider
	srv      *http.Server
	ln       net.Listener
}

// StartOAuth starts an OAuthServer for a test on 127.0.0.1:0 and stops it in
// t.Cleanup.
func StartOAuth(t testing.TB, opts *OAuthOptions) *OAuthServer {
	t.Helper()
	o := OAuthOptions{Logf: t.Logf}
	if opts != nil {
		o = *opts
		if o.Logf == nil {
			o.Logf = t.Logf
		}
	}
	s, err := NewOAuthServer(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewOAuthServer starts an OAuthServer on 127.0.0.1:0. Close stops it.
func NewOAuthServer(opts *OAuthOptions) (*OAuthServer, error) {
	o := OAuthOptions{}
	if opts != nil {
		o = *opts
	}
	if o.AccessTokenLifetime <= 0 {
		o.AccessTokenLifetime = time.Hour
	}
	if len(o.Users) == 0 {
		for _, u := range RealDefaultUsers {
			o.Users = append(o.Users, OAuthUser{Name: u.Name, Password: u.Password})
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &OAuthServer{
		Issuer:                   "http://" + ln.Addr().String(),
		PublicClientID:           "tern-public",
		ConfidentialClientID:     "tern-confidential",
		ConfidentialClientSecret: "confidential-" + randomID(8),
		ResourceClientID:         "mailserver",
		ResourceClientSecret:     "resource-" + randomID(8),
		ln:                       ln,
	}
	s.store, err = newOAuthStore(s, &o)
	if err != nil {
		ln.Close()
		return nil, err
	}
	for _, u := range o.Users {
		if err := s.AddUser(u); err != nil {
			ln.Close()
			return nil, err
		}
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		ln.Close()
		return nil, err
	}
	cfg := &op.Config{
		CryptoKey:             key,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
	}
	quiet := slog.New(slog.NewTextHandler(discardWriter{}, nil))
	s.provider, err = op.NewProvider(cfg, s.store, op.StaticIssuer(s.Issuer), op.WithAllowInsecure(), op.WithLogger(quiet))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("mailtest: oauth provider: %w", err)
	}
	s.AuthURL = s.provider.AuthorizationEndpoint().Absolute(s.Issuer)
	s.TokenURL = s.provider.TokenEndpoint().Absolute(s.Issuer)
	s.IntrospectURL = s.provider.IntrospectionEndpoint().Absolute(s.Issuer)
	s.RevokeURL = s.provider.RevocationEndpoint().Absolute(s.Issuer)
	s.LoginURL = s.Issuer + oauthLoginPath

	mux := http.NewServeMux()
	mux.HandleFunc(oauthLoginPath, s.handleLogin)
	mux.HandleFunc(oauthConsentPath, s.handleConsent)
	mux.Handle("/", s.provider)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	goroutine.Go("mailtest: oauth server", o.Logf, func() { s.srv.Serve(ln) })
	return s, nil
}

// Close stops the server.
func (s *OAuthServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// AddUser adds (or replaces) a user who can sign in.
func (s *OAuthServer) AddUser(u OAuthUser) error {
	if u.Name == "" || strings.ContainsAny(u.Name, ": \r\n") {
		return fmt.Errorf("mailtest: oauth user name %q: empty or contains ':' or spaces", u.Name)
	}
	if u.Email == "" {
		u.Email = u.Name
	}
	s.store.addUser(u)
	return nil
}

// Revoke withdraws every grant the user gave: its refresh tokens and
// access tokens stop working, and a refresh fails with invalid_grant
// until the user signs in and consents again.
func (s *OAuthServer) Revoke(user string) {
	s.store.revokeUser(user)
}

// ExpireAccessTokens makes every access token of user expire now, as if
// its lifetime had passed; its refresh tokens still work.
func (s *OAuthServer) ExpireAccessTokens(user string) {
	s.store.expireUser(user)
}

// SetAccessTokenLifetime changes the lifetime of access tokens issued from
// now on.
func (s *OAuthServer) SetAccessTokenLifetime(d time.Duration) {
	s.store.setLifetime(d)
}

// IssueToken returns a fresh access token for user (of the public client)
// without the browser flow, for tests of SASL.
func (s *OAuthServer) IssueToken(user string) (string, error) {
	tok, err := s.Grant(user)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// Grant makes user consent to the public client without the browser flow
// and returns the resulting access and refresh tokens, as a code exchange
// would.
func (s *OAuthServer) Grant(user string) (*oauth2.Token, error) {
	return s.store.grant(user, s.PublicClientID)
}

// Config returns an oauth2.Config for the public client (secret empty) or,
// if confidential, for the confidential client, with the given redirect
// URL and scopes.
func (s *OAuthServer) Config(confidential bool, redirectURL string, scopes ...string) *oauth2.Config {
	c := &oauth2.Config{
		ClientID:    s.PublicClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: s.AuthURL, TokenURL: s.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
	if confidential {
		c.ClientID = s.ConfidentialClientID
		c.ClientSecret = s.ConfidentialClientSecret
	}
	return c
}

// IntrospectionURLWithCredentials is IntrospectURL with the resource
// client's credentials in its user-info part, the form Dovecot's oauth2
// passdb takes for HTTP basic authentication.
func (s *OAuthServer) IntrospectionURLWithCredentials() string {
	return strings.Replace(s.IntrospectURL, "http://", "http://"+s.ResourceClientID+":"+s.ResourceClientSecret+"@", 1)
}

func (s *OAuthServer) logf(format string, args ...any) {
	if s.store.opts.Logf != nil {
		s.store.opts.Logf("oauth: "+format, args...)
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

var errOAuthNotFound = errors.New("mailtest: oauth: not found")
