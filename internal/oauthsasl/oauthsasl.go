// Package oauthsasl has the SASL clients that sign in to IMAP and SMTP with
// an OAuth 2.0 access token: XOAUTH2 (Google's and Microsoft's mechanism,
// which go-sasl no longer has) and OAUTHBEARER (RFC 7628, go-sasl's
// client).
//
// A server that refuses the token does not answer NO at once: it sends a
// challenge with a JSON error and waits. Both clients answer it (XOAUTH2
// with an empty response, OAUTHBEARER with the RFC's dummy 0x01) so that
// the server's NO arrives and the caller sees a refusal, not an aborted
// exchange; Refusal then says what the server reported.
package oauthsasl

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
)

// Mechanism names.
const (
	XOAUTH2     = "XOAUTH2"
	OAuthBearer = sasl.OAuthBearer
)

// Refusal is the error a server put in its challenge when it refused a
// token: Status is "401", "invalid_token" and the like.
type Refusal struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

// Client is a SASL client for one authentication with an access token. It
// is used by one goroutine (the IMAP or SMTP client's Authenticate).
type Client struct {
	mech    string
	user    string
	token   string
	bearer  sasl.Client
	refusal *Refusal
	errored bool
}

// NewXOAUTH2 returns an XOAUTH2 client for user with access token token.
func NewXOAUTH2(user, token string) *Client {
	return &Client{mech: XOAUTH2, user: user, token: token}
}

// NewOAuthBearer returns an OAUTHBEARER client for user with access token
// token; host and port name the server (optional, 0 for none).
func NewOAuthBearer(user, token, host string, port int) *Client {
	return &Client{mech: OAuthBearer, user: user, token: token, bearer: sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
		Username: user, Token: token, Host: host, Port: port,
	})}
}

// New returns a client for mech (XOAUTH2 or OAUTHBEARER, any case).
func New(mech, user, token, host string, port int) (*Client, error) {
	switch strings.ToUpper(mech) {
	case XOAUTH2:
		return NewXOAUTH2(user, token), nil
	case OAuthBearer:
		return NewOAuthBearer(user, token, host, port), nil
	}
	return nil, errors.New("oauthsasl: unknown mechanism " + mech)
}

// Mechanism returns the client's SASL mechanism name.
func (c *Client) Mechanism() string { return c.mech }

// Start implements sasl.Client: the initial response carries the user name
// and the token.
func (c *Client) Start() (string, []byte, error) {
	if c.mech == OAuthBearer {
		return c.bearer.Start()
	}
	if strings.ContainsAny(c.user, "\x01") || strings.ContainsAny(c.token, "\x01") {
		return "", nil, errors.New("oauthsasl: user name or token contains 0x01")
	}
	return XOAUTH2, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next implements sasl.Client. The only challenge these mechanisms have is
// the server's error report: it is kept for Refusal and answered so that
// the server ends the exchange with its NO. A second challenge is a
// protocol error.
func (c *Client) Next(challenge []byte) ([]byte, error) {
	if c.errored {
		return nil, errors.New("oauthsasl: unexpected second challenge from the server")
	}
	c.errored = true
	r := &Refusal{}
	if json.Unmarshal(challenge, r) != nil {
		r = &Refusal{Status: strings.TrimSpace(string(challenge))}
	}
	c.refusal = r
	if c.mech == OAuthBearer {
		return []byte{0x01}, nil
	}
	return []byte{}, nil
}

// Refusal returns the server's error report, or nil if it sent none.
func (c *Client) Refusal() *Refusal { return c.refusal }
