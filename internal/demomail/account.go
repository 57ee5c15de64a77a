package demomail

import (
	"net"
	"strconv"

	"github.com/ternmail/tern/accounts"
)

// AccountID is the account ID the demo mailbox is added under.
const AccountID = "demo"

// Account returns an account that reaches s, trusting its self-signed
// certificate by fingerprint (as a user who accepted it would).
func Account(s *Server) accounts.Account {
	sec := accounts.SecurityNone
	if s.TLS {
		sec = accounts.SecurityTLS
	}
	a := accounts.Account{
		ID:         AccountID,
		Name:       "Demo",
		Email:      s.Username,
		IMAP:       endpoint(s.IMAPAddr, sec, s.Username),
		SMTP:       endpoint(s.SMTPAddr, sec, s.Username),
		Identities: []accounts.Identity{{Name: Name, Email: s.Username}},
	}
	if s.CertSHA256 != "" {
		a.PinnedCerts = map[string]string{s.IMAPAddr: s.CertSHA256, s.SMTPAddr: s.CertSHA256}
	}
	return a
}

func endpoint(addr string, sec accounts.Security, user string) accounts.Endpoint {
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	return accounts.Endpoint{Host: host, Port: port, Security: sec, Username: user}
}
