package oauth

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ternmail/tern/accounts"
	"golang.org/x/oauth2"
)

// Build-time client registrations, empty in the repository. A distribution
// sets its own with
//
//	go build -ldflags "-X github.com/ternmail/tern/accounts/oauth.googleClientID=ID \
//	  -X github.com/ternmail/tern/accounts/oauth.googleClientSecret=SECRET \
//	  -X github.com/ternmail/tern/accounts/oauth.microsoftClientID=ID" ./cmd/tern
var (
	googleClientID     string
	googleClientSecret string
	microsoftClientID  string
)

// Environment variables that override the build's client registration.
const (
	EnvGoogleClientID     = "TERN_OAUTH_GOOGLE_CLIENT_ID"
	EnvGoogleClientSecret = "TERN_OAUTH_GOOGLE_CLIENT_SECRET"
	EnvMicrosoftClientID  = "TERN_OAUTH_MICROSOFT_CLIENT_ID"
)

// Preset is what Tern knows of one provider's OAuth 2.0 service. Presets
// are plain values; the package's are never modified.
type Preset struct {
	// ID is accounts.OAuthGoogle or accounts.OAuthMicrosoft.
	ID string
	// Name is the provider's name for people: "Google", "Microsoft".
	Name string
	// AuthURL and TokenURL are the authorization and token endpoints.
	AuthURL, TokenURL string
	// Scopes give access to IMAP and SMTP, and a refresh token.
	Scopes []string
	// AuthParams are extra parameters of the authorization request.
	AuthParams map[string]string
	// RedirectHost is the host of the loopback redirect URI:
	// "127.0.0.1" for Google, "localhost" for Microsoft, which ignores the
	// port when it matches "http://localhost". Tern always listens on
	// 127.0.0.1.
	RedirectHost string
	// Public reports a public client, which has no client secret.
	Public bool
	// AppPassword tells, in a few sentences, how to use an app password
	// instead, for builds without a client ID.
	AppPassword string
}

// Google is the preset for Gmail and Google Workspace.
//
// Endpoints, scope and parameters: https://developers.google.com/identity/protocols/oauth2/native-app
// and https://developers.google.com/gmail/imap/xoauth2-protocol. A refresh
// token comes only with access_type=offline, and again on a later sign-in
// only with prompt=consent. Any loopback port is accepted.
var Google = Preset{
	ID:           accounts.OAuthGoogle,
	Name:         "Google",
	AuthURL:      "https://accounts.google.com/o/oauth2/auth",
	TokenURL:     "https://oauth2.googleapis.com/token",
	Scopes:       []string{"https://mail.google.com/"},
	AuthParams:   map[string]string{"access_type": "offline", "prompt": "consent"},
	RedirectHost: "127.0.0.1",
	AppPassword: "Google accepts an app password instead if your account has 2-Step Verification: " +
		"open https://myaccount.google.com/apppasswords, create one named Tern, and type it here as the password. " +
		"Some Workspace administrators turn app passwords off.",
}

// Microsoft is the preset for Outlook.com and Microsoft 365.
//
// Endpoints and scopes: https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
// and https://learn.microsoft.com/en-us/entra/identity-platform/reply-url
// (for http://localhost the port is ignored). Microsoft rolls the refresh
// token over at each use.
var Microsoft = Preset{
	ID:       accounts.OAuthMicrosoft,
	Name:     "Microsoft",
	AuthURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
	TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	Scopes: []string{"https://outlook.office.com/IMAP.AccessAsUser.All",
		"https://outlook.office.com/SMTP.Send", "offline_access"},
	RedirectHost: "localhost",
	Public:       true,
	AppPassword: "Outlook.com no longer accepts passwords for IMAP and SMTP, only this sign-in. " +
		"A Microsoft 365 administrator may allow app passwords for accounts with multi-factor authentication " +
		"(https://account.microsoft.com/security → Advanced security options → App passwords).",
}

// Lookup returns the preset with the given ID.
func Lookup(id string) (Preset, bool) {
	switch id {
	case accounts.OAuthGoogle:
		return Google, true
	case accounts.OAuthMicrosoft:
		return Microsoft, true
	}
	return Preset{}, false
}

// Client is a client registration: what the authorization server knows
// Tern by.
type Client struct {
	ID string
	// Secret is empty for a public client. Google gives desktop clients a
	// secret that it does not treat as secret.
	Secret string
}

// DefaultClient returns the client registration for the preset: the
// environment's (EnvGoogleClientID and so on) when set, else the build's.
// Its ID is empty when neither is set.
func (p Preset) DefaultClient() Client {
	switch p.ID {
	case accounts.OAuthGoogle:
		return Client{ID: envOr(EnvGoogleClientID, googleClientID), Secret: envOr(EnvGoogleClientSecret, googleClientSecret)}
	case accounts.OAuthMicrosoft:
		return Client{ID: envOr(EnvMicrosoftClientID, microsoftClientID)}
	}
	return Client{}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// NoClientError means that no client ID is configured for a provider:
// this build of Tern is not registered with it. Its message says so and
// offers the app password route.
type NoClientError struct {
	Preset Preset
}

func (e *NoClientError) Error() string {
	env := EnvGoogleClientID
	if e.Preset.ID == accounts.OAuthMicrosoft {
		env = EnvMicrosoftClientID
	}
	return fmt.Sprintf("this build of Tern has no %s sign-in registered (set %s, or client_id in accounts.toml's [oauth]). %s",
		e.Preset.Name, env, e.Preset.AppPassword)
}

// ErrNoSettings means an account has no OAuth settings.
var ErrNoSettings = errors.New("the account does not sign in with OAuth")

// Provider is everything the sign-in and the refresh need for one
// account: endpoints, scopes and client. It is a plain value.
type Provider struct {
	// Preset is the provider's preset; zero for a provider named only by
	// its endpoints.
	Preset       Preset
	AuthURL      string
	TokenURL     string
	Scopes       []string
	AuthParams   map[string]string
	RedirectHost string
	Client       Client
}

// ForAccount returns the Provider of a: the preset named by its OAuth
// settings, with the settings' own fields over it, and the client ID over
// the environment's and the build's when set in accounts.toml. It returns
// a *NoClientError when no client ID is configured anywhere.
func ForAccount(a accounts.Account) (Provider, error) {
	if a.OAuth == nil {
		return Provider{}, ErrNoSettings
	}
	return FromSettings(*a.OAuth)
}

// FromSettings is ForAccount for the OAuth settings alone.
func FromSettings(s accounts.OAuthSettings) (Provider, error) {
	var p Provider
	if pr, ok := Lookup(s.Provider); ok {
		p = Provider{Preset: pr, AuthURL: pr.AuthURL, TokenURL: pr.TokenURL, Scopes: pr.Scopes,
			AuthParams: pr.AuthParams, RedirectHost: pr.RedirectHost, Client: pr.DefaultClient()}
	} else if s.Provider != "" {
		return Provider{}, fmt.Errorf("unknown OAuth provider %q", s.Provider)
	}
	if s.AuthURL != "" {
		p.AuthURL = s.AuthURL
	}
	if s.TokenURL != "" {
		p.TokenURL = s.TokenURL
	}
	if len(s.Scopes) > 0 {
		p.Scopes = slices.Clone(s.Scopes)
	}
	if s.ClientID != "" {
		p.Client = Client{ID: s.ClientID, Secret: s.ClientSecret}
	} else if s.ClientSecret != "" {
		p.Client.Secret = s.ClientSecret
	}
	if p.RedirectHost == "" {
		p.RedirectHost = "127.0.0.1"
	}
	if p.AuthURL == "" || p.TokenURL == "" {
		return Provider{}, errors.New("the OAuth settings name no provider and no endpoints")
	}
	if p.Client.ID == "" {
		if p.Preset.ID != "" {
			return Provider{}, &NoClientError{Preset: p.Preset}
		}
		return Provider{}, errors.New("no OAuth client_id is configured for this account")
	}
	return p, nil
}

// config returns the oauth2 configuration for a redirect to redirectURL.
func (p Provider) config(redirectURL string) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	return &oauth2.Config{
		ClientID:     p.Client.ID,
		ClientSecret: p.Client.Secret,
		Endpoint:     oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: style},
		RedirectURL:  redirectURL,
		Scopes:       p.Scopes,
	}
}

// presetHosts are the IMAP and SMTP hosts of the presets' providers.
var presetHosts = map[string]string{
	"imap.gmail.com":        accounts.OAuthGoogle,
	"smtp.gmail.com":        accounts.OAuthGoogle,
	"imap.googlemail.com":   accounts.OAuthGoogle,
	"smtp.googlemail.com":   accounts.OAuthGoogle,
	"outlook.office365.com": accounts.OAuthMicrosoft,
	"outlook.office.com":    accounts.OAuthMicrosoft,
	"smtp.office365.com":    accounts.OAuthMicrosoft,
	"smtp-mail.outlook.com": accounts.OAuthMicrosoft,
	"imap-mail.outlook.com": accounts.OAuthMicrosoft,
}

// PresetForHost returns the preset of the provider whose IMAP or SMTP
// server host is. Discovery uses it on the servers it found, whichever
// source named them (the provider table, the domain's autoconfig, MX).
func PresetForHost(host string) (Preset, bool) {
	id, ok := presetHosts[strings.TrimSuffix(strings.ToLower(host), ".")]
	if !ok {
		return Preset{}, false
	}
	return Lookup(id)
}

// Settings returns the account settings that name p, for a new account.
func (p Preset) Settings() *accounts.OAuthSettings {
	return &accounts.OAuthSettings{Provider: p.ID}
}

// Configured reports whether a client ID is configured for p (in the
// environment or the build), so that its sign-in can be offered.
func (p Preset) Configured() bool { return p.DefaultClient().ID != "" }
