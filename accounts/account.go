package accounts

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Folder roles that Account.Folders may override.
const (
	RoleSent    = "sent"
	RoleDrafts  = "drafts"
	RoleTrash   = "trash"
	RoleJunk    = "junk"
	RoleArchive = "archive"
)

// DefaultPollSeconds is the poll interval used when SyncSettings.PollSeconds is 0.
const DefaultPollSeconds = 300

// maxIDLen bounds account IDs so that they stay usable as file names and
// keychain attributes.
const maxIDLen = 64

// Identity is one sender identity of an account. It is a plain value.
type Identity struct {
	Name  string `toml:"name,omitempty"`
	Email string `toml:"email"`
	// ReplyTo, when set, is the address replies should go to.
	ReplyTo   string   `toml:"reply_to,omitempty"`
	Signature string   `toml:"signature,omitempty"`
	Aliases   []string `toml:"aliases,omitempty"`
}

// SyncSettings controls how an account is synchronised. It is a plain value.
type SyncSettings struct {
	// PollSeconds is the poll interval; 0 means DefaultPollSeconds.
	PollSeconds int `toml:"poll_seconds"`
	// BodiesMaxAgeDays limits which message bodies are downloaded ahead of
	// time; 0 means all.
	BodiesMaxAgeDays int `toml:"bodies_max_age_days"`
	// Connections is how many IMAP connections the sync keeps open: 1, or
	// 2 (one waits for new mail); 0 means 2. Opening a message uses one more.
	Connections int `toml:"connections,omitempty"`
}

// PollInterval returns PollSeconds as a duration, or the default when it is 0.
func (s SyncSettings) PollInterval() time.Duration {
	if s.PollSeconds <= 0 {
		return DefaultPollSeconds * time.Second
	}
	return time.Duration(s.PollSeconds) * time.Second
}

// Account is one configured mail account. It holds no secret. An Account is a
// value, but its slices and maps are shared by copies; use Clone for an
// independent copy. It is not safe for concurrent mutation.
type Account struct {
	// ID is a stable, file-system and keychain safe identifier
	// (lowercase letters, digits, '-' and '_'; at most 64 bytes).
	ID    string `toml:"id"`
	Name  string `toml:"name,omitempty"`
	Email string `toml:"email"`

	IMAP Endpoint `toml:"imap"`
	SMTP Endpoint `toml:"smtp"`

	Identities []Identity `toml:"identities,omitempty"`
	// Folders overrides special folders: role (RoleSent, RoleDrafts,
	// RoleTrash, RoleJunk, RoleArchive) to mailbox name.
	Folders map[string]string `toml:"folders,omitempty"`
	Sync    SyncSettings      `toml:"sync"`
	// PinnedCerts maps "host:port" to the fingerprint ("SHA256:HEX") of a
	// certificate the user chose to trust although it failed verification.
	PinnedCerts map[string]string `toml:"pinned_certs,omitempty"`
	// OAuth says how the account signs in with OAuth 2.0; it is set when
	// IMAP or SMTP has Auth AuthOAuth2. The refresh token is not here: it
	// lives only in the keychain.
	OAuth *OAuthSettings `toml:"oauth,omitempty"`
}

// OAuth 2.0 providers with a preset (see package accounts/oauth).
const (
	OAuthGoogle    = "google"    // Gmail and Google Workspace
	OAuthMicrosoft = "microsoft" // Outlook.com and Microsoft 365
)

// OAuthSettings is the OAuth 2.0 part of an account. It is a plain value
// that holds no secret: Google's "desktop app" client secret is, by
// Google's own terms, not treated as a secret. Empty fields take the
// provider preset's values, and the client ID and secret also the
// environment's or the build's (see accounts/oauth).
type OAuthSettings struct {
	// Provider is OAuthGoogle, OAuthMicrosoft, or empty for another
	// provider, which then needs AuthURL, TokenURL and ClientID.
	Provider     string   `toml:"provider,omitempty"`
	ClientID     string   `toml:"client_id,omitempty"`
	ClientSecret string   `toml:"client_secret,omitempty"`
	AuthURL      string   `toml:"auth_url,omitempty"`
	TokenURL     string   `toml:"token_url,omitempty"`
	Scopes       []string `toml:"scopes,omitempty"`
}

// UsesOAuth reports whether IMAP or SMTP signs in with OAuth 2.0.
func (a *Account) UsesOAuth() bool {
	return a.IMAP.AuthMethod() == AuthOAuth2 || a.SMTP.AuthMethod() == AuthOAuth2
}

// Validate reports the first problem of s, naming the field.
func (s *OAuthSettings) Validate() error {
	switch s.Provider {
	case OAuthGoogle, OAuthMicrosoft:
	case "":
		if s.AuthURL == "" || s.TokenURL == "" {
			return errors.New("auth_url and token_url are needed without a provider (google or microsoft)")
		}
	default:
		return fmt.Errorf("unknown provider %q (want google or microsoft, or auth_url and token_url)", s.Provider)
	}
	for name, v := range map[string]string{"auth_url": s.AuthURL, "token_url": s.TokenURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) || u.Host == "" {
			return fmt.Errorf("%s %q is not an https URL", name, v)
		}
	}
	for _, f := range []string{s.ClientID, s.ClientSecret} {
		if strings.ContainsAny(f, "\x00\r\n") {
			return errors.New("client_id or client_secret contains a control character")
		}
	}
	return nil
}

// isLoopback reports whether host is localhost or a loopback address, where
// plain http cannot be overheard.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Clone returns a deep copy of a.
func (a Account) Clone() Account {
	c := a
	if a.Identities != nil {
		c.Identities = make([]Identity, len(a.Identities))
		for i, id := range a.Identities {
			id.Aliases = slices.Clone(id.Aliases)
			c.Identities[i] = id
		}
	}
	c.Folders = maps.Clone(a.Folders)
	c.PinnedCerts = maps.Clone(a.PinnedCerts)
	if a.OAuth != nil {
		o := *a.OAuth
		o.Scopes = slices.Clone(a.OAuth.Scopes)
		c.OAuth = &o
	}
	return c
}

// PinFor returns the pinned fingerprint for host:port in canonical form, or ""
// when none is pinned. Pass it to TLSConfig.
func (a *Account) PinFor(host string, port int) string {
	key := pinKey(host, port)
	v, ok := a.PinnedCerts[key]
	if !ok {
		for k, pv := range a.PinnedCerts { // hand-edited keys may differ in case
			if strings.EqualFold(k, key) {
				v, ok = pv, true
				break
			}
		}
	}
	if !ok {
		return ""
	}
	fp, err := NormalizeFingerprint(v)
	if err != nil {
		return ""
	}
	return fp
}

// TrustCert pins fingerprint (any form NormalizeFingerprint accepts) for
// host:port, replacing an earlier pin.
func (a *Account) TrustCert(host string, port int, fingerprint string) error {
	fp, err := NormalizeFingerprint(fingerprint)
	if err != nil {
		return err
	}
	if a.PinnedCerts == nil {
		a.PinnedCerts = make(map[string]string)
	}
	a.PinnedCerts[pinKey(host, port)] = fp
	return nil
}

func pinKey(host string, port int) string {
	return net.JoinHostPort(strings.ToLower(host), strconv.Itoa(port))
}

// Validate reports the first problem that makes a unusable, naming the field.
func (a *Account) Validate() error {
	if err := ValidateID(a.ID); err != nil {
		return err
	}
	if err := validateEmail(a.Email); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	if strings.ContainsAny(a.Name, "\x00\r\n") {
		return errors.New("name contains a control character")
	}
	if err := a.IMAP.Validate(); err != nil {
		return fmt.Errorf("imap: %w", err)
	}
	if err := a.SMTP.Validate(); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	for i, id := range a.Identities {
		if err := validateEmail(id.Email); err != nil {
			return fmt.Errorf("identity %d: email: %w", i+1, err)
		}
		if strings.ContainsAny(id.Name, "\x00\r\n") {
			return fmt.Errorf("identity %d: name contains a control character", i+1)
		}
		if id.ReplyTo != "" {
			if err := validateEmail(id.ReplyTo); err != nil {
				return fmt.Errorf("identity %d: reply_to: %w", i+1, err)
			}
		}
		for _, al := range id.Aliases {
			if err := validateEmail(al); err != nil {
				return fmt.Errorf("identity %d: alias: %w", i+1, err)
			}
		}
	}
	for _, role := range slices.Sorted(maps.Keys(a.Folders)) {
		switch role {
		case RoleSent, RoleDrafts, RoleTrash, RoleJunk, RoleArchive:
		default:
			return fmt.Errorf("folders: unknown role %q (want sent, drafts, trash, junk or archive)", role)
		}
		if strings.TrimSpace(a.Folders[role]) == "" {
			return fmt.Errorf("folders: empty mailbox name for %q", role)
		}
	}
	if a.Sync.PollSeconds < 0 {
		return fmt.Errorf("sync: poll_seconds %d is negative", a.Sync.PollSeconds)
	}
	if a.Sync.BodiesMaxAgeDays < 0 {
		return fmt.Errorf("sync: bodies_max_age_days %d is negative", a.Sync.BodiesMaxAgeDays)
	}
	if a.UsesOAuth() && a.OAuth == nil {
		return errors.New("auth is oauth2 but the [oauth] settings are missing")
	}
	if a.OAuth != nil {
		if err := a.OAuth.Validate(); err != nil {
			return fmt.Errorf("oauth: %w", err)
		}
	}
	for _, hp := range slices.Sorted(maps.Keys(a.PinnedCerts)) {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return fmt.Errorf("pinned_certs: key %q is not host:port", hp)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("pinned_certs: key %q has an invalid port", hp)
		}
		if err := validateHost(host); err != nil {
			return fmt.Errorf("pinned_certs: key %q: %w", hp, err)
		}
		if _, err := NormalizeFingerprint(a.PinnedCerts[hp]); err != nil {
			return fmt.Errorf("pinned_certs: %q: %w", hp, err)
		}
	}
	return nil
}

// ValidateID reports whether id is a valid account ID: 1 to 64 bytes of
// lowercase letters, digits, '-' and '_', starting with a letter or digit.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("id missing")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("id %q longer than %d bytes", id, maxIDLen)
	}
	for i, r := range id {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '-' && r != '_') {
			return fmt.Errorf("id %q: only lowercase letters, digits, '-' and '_' are allowed, starting with a letter or digit", id)
		}
	}
	return nil
}

func validateEmail(s string) error {
	if s == "" {
		return errors.New("missing")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return fmt.Errorf("%q is not a plain email address", s)
	}
	return nil
}

// idFromEmail derives an account ID from an email address:
// "Alice@Example.com" → "alice-example-com".
func idFromEmail(email string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(email) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if len(id) > maxIDLen-8 { // leave room for a "-N" suffix
		id = strings.TrimRight(id[:maxIDLen-8], "-")
	}
	if id == "" {
		id = "account"
	}
	return id
}
