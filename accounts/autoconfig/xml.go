package autoconfig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"

	"github.com/ternmail/tern/accounts"
)

// ServerConfig is one incomingServer or outgoingServer of a config-v1.1.xml
// document, as written (placeholders not yet replaced).
type ServerConfig struct {
	Type       string // "imap", "pop3", "smtp", …
	Hostname   string
	Port       int
	SocketType string // "SSL", "STARTTLS" or "plain"
	Username   string
	// Authentication lists the kinds in the document's order:
	// "password-cleartext", "password-encrypted", "OAuth2", …
	Authentication []string
}

// ClientConfig is a parsed config-v1.1.xml document (the Thunderbird
// autoconfig format).
type ClientConfig struct {
	ID          string // emailProvider id
	Domains     []string
	DisplayName string
	Incoming    []ServerConfig
	Outgoing    []ServerConfig
}

type xmlServer struct {
	Type           string   `xml:"type,attr"`
	Hostname       string   `xml:"hostname"`
	Port           string   `xml:"port"`
	SocketType     string   `xml:"socketType"`
	Username       string   `xml:"username"`
	Authentication []string `xml:"authentication"`
}

type xmlConfig struct {
	XMLName  xml.Name `xml:"clientConfig"`
	Provider []struct {
		ID          string      `xml:"id,attr"`
		Domains     []string    `xml:"domain"`
		DisplayName string      `xml:"displayName"`
		Incoming    []xmlServer `xml:"incomingServer"`
		Outgoing    []xmlServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

// ParseConfig parses a config-v1.1.xml document. Servers of every type are
// returned; servers with an unreadable port are skipped.
func ParseConfig(data []byte) (*ClientConfig, error) {
	var x xmlConfig
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("not a config-v1.1.xml document: %w", err)
	}
	if len(x.Provider) == 0 {
		return nil, errors.New("config-v1.1.xml without emailProvider")
	}
	var cc ClientConfig
	conv := func(list []xmlServer) []ServerConfig {
		var out []ServerConfig
		for _, s := range list {
			port, err := strconv.Atoi(strings.TrimSpace(s.Port))
			if err != nil || port < 1 || port > 65535 {
				continue
			}
			sc := ServerConfig{
				Type:       strings.ToLower(strings.TrimSpace(s.Type)),
				Hostname:   strings.TrimSpace(s.Hostname),
				Port:       port,
				SocketType: strings.TrimSpace(s.SocketType),
				Username:   strings.TrimSpace(s.Username),
			}
			for _, a := range s.Authentication {
				if a = strings.TrimSpace(a); a != "" {
					sc.Authentication = append(sc.Authentication, a)
				}
			}
			out = append(out, sc)
		}
		return out
	}
	for i, p := range x.Provider {
		if i == 0 {
			cc.ID = strings.TrimSpace(p.ID)
			cc.DisplayName = strings.TrimSpace(p.DisplayName)
		}
		for _, d := range p.Domains {
			cc.Domains = append(cc.Domains, strings.ToLower(strings.TrimSpace(d)))
		}
		cc.Incoming = append(cc.Incoming, conv(p.Incoming)...)
		cc.Outgoing = append(cc.Outgoing, conv(p.Outgoing)...)
	}
	return &cc, nil
}

// expand replaces the placeholders %EMAILADDRESS%, %EMAILLOCALPART% and
// %EMAILDOMAIN% (case-insensitively).
func expand(s, email string) string {
	local, domain, _ := strings.Cut(email, "@")
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s[1:], '%')
		if j < 0 {
			b.WriteString(s)
			break
		}
		name := strings.ToUpper(s[1 : j+1])
		switch name {
		case "EMAILADDRESS":
			b.WriteString(email)
		case "EMAILLOCALPART":
			b.WriteString(local)
		case "EMAILDOMAIN":
			b.WriteString(domain)
		default:
			b.WriteString(s[:j+2])
		}
		s = s[j+2:]
	}
	return b.String()
}

// EncryptedOnly reports whether s asks for "password-encrypted" sign-in
// (CRAM-MD5 and the like) and allows no cleartext password. Tern speaks
// only PLAIN and LOGIN (and OAuth2 later): such a server is used with
// PLAIN or LOGIN inside TLS, when it offers them, and never without TLS.
func (s ServerConfig) EncryptedOnly() bool {
	encrypted := false
	for _, a := range s.Authentication {
		switch strings.ToLower(a) {
		case "password-cleartext", "plain":
			return false
		case "password-encrypted", "secure":
			encrypted = true
		}
	}
	return encrypted
}

// Endpoint turns s into an endpoint for email: placeholders replaced,
// socketType mapped to a Security, authentication to an Auth. It fails for
// unknown socket types, for servers that offer no authentication Tern
// supports (password or OAuth2), and for a server that wants only
// password-encrypted sign-in without TLS (see EncryptedOnly): Tern's
// PLAIN or LOGIN would send that password readable.
func (s ServerConfig) Endpoint(email string) (accounts.Endpoint, error) {
	e := accounts.Endpoint{
		Host: strings.TrimSuffix(strings.ToLower(expand(s.Hostname, email)), "."),
		Port: s.Port,
	}
	switch strings.ToUpper(s.SocketType) {
	case "SSL", "TLS":
		e.Security = accounts.SecurityTLS
	case "STARTTLS":
		e.Security = accounts.SecuritySTARTTLS
	case "PLAIN", "":
		e.Security = accounts.SecurityNone
	default:
		return e, fmt.Errorf("unknown socketType %q", s.SocketType)
	}
	if s.Username != "" {
		e.Username = expand(s.Username, email)
	}
	password, oauth := false, false
	for _, a := range s.Authentication {
		switch strings.ToLower(a) {
		case "password-cleartext", "plain", "password-encrypted", "secure":
			password = true
		case "oauth2":
			oauth = true
		}
	}
	switch {
	case password && s.EncryptedOnly() && e.Security == accounts.SecurityNone:
		return e, errors.New("it wants password-encrypted (CRAM-MD5) sign-in without TLS; Tern signs in with PLAIN or LOGIN only, which would send the password readable")
	case password || len(s.Authentication) == 0:
		e.Auth = accounts.AuthPlain
	case oauth:
		e.Auth = accounts.AuthOAuth2
	default:
		return e, fmt.Errorf("authentication %s is not supported", strings.Join(s.Authentication, ", "))
	}
	if err := e.Validate(); err != nil {
		return e, err
	}
	return e, nil
}
