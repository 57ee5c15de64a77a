package mailtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// oauthStore is the OAuthServer's op.Storage: clients, users, pending
// authorization requests, codes, access and refresh tokens, in memory
// under one mutex.
type oauthStore struct {
	srv  *OAuthServer
	opts OAuthOptions
	key  *rsa.PrivateKey
	kid  string

	mu       sync.Mutex
	lifetime time.Duration
	clients  map[string]*oauthClient
	users    map[string]OAuthUser
	requests map[string]*oauthRequest // by ID
	codes    map[string]string        // code → request ID
	access   map[string]*oauthAccess  // by token ID
	refresh  map[string]*oauthRefresh // by refresh token
	sessions map[string]string        // browser session cookie → user
}

// oauthRequest is an authorization request between /authorize and the
// code exchange.
type oauthRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	scopes        []string
	state         string
	nonce         string
	codeChallenge *oidc.CodeChallenge
	subject       string
	authTime      time.Time
	done          bool
}

func (r *oauthRequest) GetID() string                         { return r.id }
func (r *oauthRequest) GetACR() string                        { return "" }
func (r *oauthRequest) GetAMR() []string                      { return []string{"pwd"} }
func (r *oauthRequest) GetAudience() []string                 { return []string{r.clientID} }
func (r *oauthRequest) GetAuthTime() time.Time                { return r.authTime }
func (r *oauthRequest) GetClientID() string                   { return r.clientID }
func (r *oauthRequest) GetCodeChallenge() *oidc.CodeChallenge { return r.codeChallenge }
func (r *oauthRequest) GetNonce() string                      { return r.nonce }
func (r *oauthRequest) GetRedirectURI() string                { return r.redirectURI }
func (r *oauthRequest) GetResponseType() oidc.ResponseType    { return r.responseType }
func (r *oauthRequest) GetResponseMode() oidc.ResponseMode    { return r.responseMode }
func (r *oauthRequest) GetScopes() []string                   { return r.scopes }
func (r *oauthRequest) GetState() string                      { return r.state }
func (r *oauthRequest) GetSubject() string                    { return r.subject }
func (r *oauthRequest) Done() bool                            { return r.done }

// oauthAccess is an issued access token.
type oauthAccess struct {
	id       string
	subject  string
	clientID string
	scopes   []string
	issued   time.Time
	expires  time.Time
	refresh  string // the refresh token issued with it, if any
}

// oauthRefresh is an issued refresh token; it is also the
// op.RefreshTokenRequest a refresh grant works on.
type oauthRefresh struct {
	token    string
	subject  string
	clientID string
	scopes   []string
	authTime time.Time
}

func (r *oauthRefresh) GetAMR() []string                 { return []string{"pwd"} }
func (r *oauthRefresh) GetAudience() []string            { return []string{r.clientID} }
func (r *oauthRefresh) GetAuthTime() time.Time           { return r.authTime }
func (r *oauthRefresh) GetClientID() string              { return r.clientID }
func (r *oauthRefresh) GetScopes() []string              { return r.scopes }
func (r *oauthRefresh) GetSubject() string               { return r.subject }
func (r *oauthRefresh) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// oauthClient is a registered native-app client.
type oauthClient struct {
	id     string
	secret string // empty: public client (PKCE required)
	method oidc.AuthMethod
	issuer string
}

func (c *oauthClient) GetID() string { return c.id }

// RedirectURIs lists loopback URIs; op matches a loopback redirect of a
// native client by path and query only, whatever the port.
func (c *oauthClient) RedirectURIs() []string {
	return []string{"http://127.0.0.1/", "http://127.0.0.1", "http://localhost/", "http://localhost"}
}
func (c *oauthClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *oauthClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeNative }
func (c *oauthClient) AuthMethod() oidc.AuthMethod         { return c.method }
func (c *oauthClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *oauthClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *oauthClient) LoginURL(id string) string {
	return c.issuer + oauthLoginPath + "?id=" + id
}
func (c *oauthClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *oauthClient) IDTokenLifetime() time.Duration      { return time.Hour }
func (c *oauthClient) DevMode() bool                       { return false }
func (c *oauthClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *oauthClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed allows any scope: the providers' mail scopes
// ("https://mail.google.com/", "https://outlook.office.com/IMAP...") pass.
func (c *oauthClient) IsScopeAllowed(string) bool           { return true }
func (c *oauthClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *oauthClient) ClockSkew() time.Duration             { return 0 }

type oauthKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k oauthKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k oauthKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k oauthKey) ID() string                                  { return k.id }
func (k oauthKey) Use() string                                 { return "sig" }

type oauthSigningKey struct{ oauthKey }

func (k oauthSigningKey) Key() any { return k.key }

type oauthPublicKey struct{ oauthKey }

func (k oauthPublicKey) Key() any { return &k.key.PublicKey }

func newOAuthStore(srv *OAuthServer, opts *OAuthOptions) (*oauthStore, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	st := &oauthStore{
		srv:      srv,
		opts:     *opts,
		key:      key,
		kid:      randomID(8),
		lifetime: opts.AccessTokenLifetime,
		clients:  map[string]*oauthClient{},
		users:    map[string]OAuthUser{},
		requests: map[string]*oauthRequest{},
		codes:    map[string]string{},
		access:   map[string]*oauthAccess{},
		refresh:  map[string]*oauthRefresh{},
		sessions: map[string]string{},
	}
	st.clients[srv.PublicClientID] = &oauthClient{id: srv.PublicClientID, method: oidc.AuthMethodNone, issuer: srv.Issuer}
	st.clients[srv.ConfidentialClientID] = &oauthClient{id: srv.ConfidentialClientID, secret: srv.ConfidentialClientSecret, method: oidc.AuthMethodPost, issuer: srv.Issuer}
	st.clients[srv.ResourceClientID] = &oauthClient{id: srv.ResourceClientID, secret: srv.ResourceClientSecret, method: oidc.AuthMethodBasic, issuer: srv.Issuer}
	return st, nil
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func (st *oauthStore) addUser(u OAuthUser) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.users[u.Name] = u
}

func (st *oauthStore) checkPassword(name, password string) (OAuthUser, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	u, ok := st.users[name]
	return u, ok && u.Password == password
}

func (st *oauthStore) newSession(user string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	sid := randomID(16)
	st.sessions[sid] = user
	return sid
}

func (st *oauthStore) session(sid string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	u, ok := st.sessions[sid]
	return u, ok
}

func (st *oauthStore) setLifetime(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.lifetime = d
}

func (st *oauthStore) revokeUser(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, a := range st.access {
		if a.subject == name {
			delete(st.access, k)
		}
	}
	for k, r := range st.refresh {
		if r.subject == name {
			delete(st.refresh, k)
		}
	}
	st.srv.logf("revoked every grant of %s", name)
}

func (st *oauthStore) expireUser(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, a := range st.access {
		if a.subject == name {
			a.expires = past
		}
	}
	st.srv.logf("expired the access tokens of %s", name)
}

// grant issues an access and a refresh token as a completed consent and
// code exchange would.
func (st *oauthStore) grant(user, clientID string) (*oauth2.Token, error) {
	st.mu.Lock()
	if _, ok := st.users[user]; !ok {
		st.mu.Unlock()
		return nil, fmt.Errorf("mailtest: oauth: no user %q", user)
	}
	rt := &oauthRefresh{token: randomID(24), subject: user, clientID: clientID, scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}, authTime: time.Now()}
	st.refresh[rt.token] = rt
	a := st.newAccessLocked(user, clientID, rt.scopes, rt.token)
	st.mu.Unlock()
	tok, err := op.CreateBearerToken(a.id, user, st.srv.provider.Crypto())
	if err != nil {
		return nil, err
	}
	st.srv.logf("granted %s to %s without the browser", clientID, user)
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", RefreshToken: rt.token, Expiry: a.expires}, nil
}

func (st *oauthStore) newAccessLocked(subject, clientID string, scopes []string, refresh string) *oauthAccess {
	now := time.Now().UTC()
	a := &oauthAccess{id: randomID(16), subject: subject, clientID: clientID, scopes: scopes, issued: now, expires: now.Add(st.lifetime), refresh: refresh}
	st.access[a.id] = a
	return a
}

// validAccess returns the access token with id if it was issued to
// subject, is not revoked and has not expired.
func (st *oauthStore) validAccess(id, subject string) (*oauthAccess, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	a, ok := st.access[id]
	if !ok || a.subject != subject {
		return nil, errors.New("mailtest: oauth: unknown or revoked access token")
	}
	if time.Now().After(a.expires) {
		return nil, errors.New("mailtest: oauth: access token expired")
	}
	return a, nil
}

// CreateAuthRequest implements op.Storage.
func (st *oauthStore) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	r := &oauthRequest{
		id:           randomID(16),
		created:      time.Now(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		scopes:       req.Scopes,
		state:        req.State,
		nonce:        req.Nonce,
	}
	// Offline access always: Google grants it by access_type=offline,
	// Microsoft by the offline_access scope.
	if !slices.Contains(r.scopes, oidc.ScopeOfflineAccess) {
		r.scopes = append(slices.Clone(r.scopes), oidc.ScopeOfflineAccess)
	}
	if req.CodeChallenge != "" {
		r.codeChallenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.requests[r.id] = r
	return r, nil
}

// AuthRequestByID implements op.Storage.
func (st *oauthStore) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.requests[id]
	if !ok {
		return nil, errOAuthNotFound
	}
	return r, nil
}

func (st *oauthStore) request(id string) (*oauthRequest, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.requests[id]
	return r, ok
}

func (st *oauthStore) authenticate(id, subject string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if r, ok := st.requests[id]; ok {
		r.subject = subject
		r.authTime = time.Now().UTC()
	}
}

func (st *oauthStore) approve(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if r, ok := st.requests[id]; ok && r.subject != "" {
		r.done = true
	}
}

// AuthRequestByCode implements op.Storage.
func (st *oauthStore) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	id, ok := st.codes[code]
	if !ok {
		return nil, errOAuthNotFound
	}
	r, ok := st.requests[id]
	if !ok {
		return nil, errOAuthNotFound
	}
	return r, nil
}

// SaveAuthCode implements op.Storage.
func (st *oauthStore) SaveAuthCode(_ context.Context, id, code string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.codes[code] = id
	return nil
}

// DeleteAuthRequest implements op.Storage: a code is used once.
func (st *oauthStore) DeleteAuthRequest(_ context.Context, id string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.requests, id)
	for c, rid := range st.codes {
		if rid == id {
			delete(st.codes, c)
		}
	}
	return nil
}

func tokenRequestClient(req op.TokenRequest) string {
	if c, ok := req.(interface{ GetClientID() string }); ok {
		return c.GetClientID()
	}
	return ""
}

// CreateAccessToken implements op.Storage.
func (st *oauthStore) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	a := st.newAccessLocked(req.GetSubject(), tokenRequestClient(req), req.GetScopes(), "")
	return a.id, a.expires, nil
}

// CreateAccessAndRefreshTokens implements op.Storage. With
// RollRefreshTokens a refresh replaces the refresh token used.
func (st *oauthStore) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	clientID := tokenRequestClient(req)
	token := current
	if current != "" {
		old, ok := st.refresh[current]
		if !ok {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token revoked")
		}
		if st.opts.RollRefreshTokens {
			delete(st.refresh, current)
			token = ""
		} else {
			old.scopes = req.GetScopes()
		}
	}
	if token == "" {
		authTime := time.Now().UTC()
		if r, ok := req.(interface{ GetAuthTime() time.Time }); ok {
			authTime = r.GetAuthTime()
		}
		rt := &oauthRefresh{token: randomID(24), subject: req.GetSubject(), clientID: clientID, scopes: req.GetScopes(), authTime: authTime}
		st.refresh[rt.token] = rt
		token = rt.token
	}
	a := st.newAccessLocked(req.GetSubject(), clientID, req.GetScopes(), token)
	if current == "" {
		st.srv.logf("granted %s to %s", clientID, req.GetSubject())
	}
	return a.id, token, a.expires, nil
}

// TokenRequestByRefreshToken implements op.Storage. An unknown (revoked)
// refresh token makes op answer invalid_grant.
func (st *oauthStore) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rt, ok := st.refresh[token]
	if !ok {
		return nil, errors.New("mailtest: oauth: refresh token unknown or revoked")
	}
	c := *rt
	c.scopes = slices.Clone(rt.scopes)
	return &c, nil
}

// TerminateSession implements op.Storage.
func (st *oauthStore) TerminateSession(_ context.Context, userID, clientID string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, a := range st.access {
		if a.subject == userID && a.clientID == clientID {
			delete(st.access, k)
		}
	}
	for k, r := range st.refresh {
		if r.subject == userID && r.clientID == clientID {
			delete(st.refresh, k)
		}
	}
	return nil
}

// RevokeToken implements op.Storage: an access token ID or a refresh
// token (with the access tokens issued with it).
func (st *oauthStore) RevokeToken(_ context.Context, token, _, clientID string) *oidc.Error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if a, ok := st.access[token]; ok {
		if a.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(st.access, token)
		return nil
	}
	if r, ok := st.refresh[token]; ok {
		if r.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(st.refresh, token)
		for k, a := range st.access {
			if a.refresh == token {
				delete(st.access, k)
			}
		}
	}
	return nil
}

// GetRefreshTokenInfo implements op.Storage.
func (st *oauthStore) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.refresh[token]
	if !ok || r.clientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return r.subject, r.token, nil
}

// SigningKey implements op.Storage.
func (st *oauthStore) SigningKey(context.Context) (op.SigningKey, error) {
	return oauthSigningKey{oauthKey{id: st.kid, key: st.key}}, nil
}

// SignatureAlgorithms implements op.Storage.
func (st *oauthStore) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage.
func (st *oauthStore) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{oauthPublicKey{oauthKey{id: st.kid, key: st.key}}}, nil
}

// GetClientByClientID implements op.Storage.
func (st *oauthStore) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.clients[id]
	if !ok {
		return nil, fmt.Errorf("mailtest: oauth: no client %q", id)
	}
	return c, nil
}

// AuthorizeClientIDSecret implements op.Storage.
func (st *oauthStore) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.clients[id]
	if !ok || c.secret == "" || c.secret != secret {
		return oidc.ErrInvalidClient().WithDescription("wrong client credentials")
	}
	return nil
}

func (st *oauthStore) userinfo(info *oidc.UserInfo, subject string) error {
	st.mu.Lock()
	u, ok := st.users[subject]
	st.mu.Unlock()
	if !ok {
		return fmt.Errorf("mailtest: oauth: no user %q", subject)
	}
	info.Subject = u.Name
	info.PreferredUsername = u.Email
	info.Email = u.Email
	info.EmailVerified = true
	return nil
}

// SetUserinfoFromScopes implements op.Storage.
func (st *oauthStore) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	return st.userinfo(info, userID)
}

// SetUserinfoFromToken implements op.Storage.
func (st *oauthStore) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	if _, err := st.validAccess(tokenID, subject); err != nil {
		return err
	}
	return st.userinfo(info, subject)
}

// SetIntrospectionFromToken implements op.Storage: an expired, revoked or
// unknown token is not active. The username is the user's address.
func (st *oauthStore) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	a, err := st.validAccess(tokenID, subject)
	if err != nil {
		return err
	}
	var info oidc.UserInfo
	if err := st.userinfo(&info, subject); err != nil {
		return err
	}
	resp.SetUserInfo(&info)
	resp.Username = info.Email
	resp.Scope = a.scopes
	resp.ClientID = a.clientID
	resp.TokenType = "Bearer"
	resp.Expiration = oidc.FromTime(a.expires)
	resp.IssuedAt = oidc.FromTime(a.issued)
	resp.Issuer = st.srv.Issuer
	resp.Audience = []string{a.clientID}
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage.
func (st *oauthStore) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements op.Storage (JWT profile: unsupported).
func (st *oauthStore) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("mailtest: oauth: JWT profile not supported")
}

// ValidateJWTProfileScopes implements op.Storage.
func (st *oauthStore) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return scopes, nil
}

// Health implements op.Storage.
func (st *oauthStore) Health(context.Context) error { return nil }
