package accounts

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Security is how a connection to a mail server is protected.
type Security string

// Security modes.
const (
	// SecurityTLS is implicit TLS from the first byte (IMAP 993, SMTP 465).
	SecurityTLS Security = "tls"
	// SecuritySTARTTLS upgrades a plain connection with STARTTLS (IMAP 143, SMTP 587).
	SecuritySTARTTLS Security = "starttls"
	// SecurityNone sends everything, including the password, in clear text.
	SecurityNone Security = "none"
)

// Authentication mechanisms for [Endpoint.Auth].
const (
	// AuthPlain authenticates with a user name and a password (the default).
	AuthPlain = "plain"
	// AuthOAuth2 authenticates with an OAuth 2.0 access token (SASL XOAUTH2
	// or OAUTHBEARER); the account's OAuth settings say how to get one.
	AuthOAuth2 = "oauth2"
)

// Endpoint describes how to reach one mail server. It is a plain value; copies
// are independent.
type Endpoint struct {
	Host     string   `toml:"host"`
	Port     int      `toml:"port"`
	Security Security `toml:"security"`
	// Username defaults to the account's email address (filled in by Config.Add).
	Username string `toml:"username,omitempty"`
	// Auth is AuthPlain (also when empty) or AuthOAuth2.
	Auth string `toml:"auth,omitempty"`
}

// ParseEndpoint parses "host:port:security", where security is tls, starttls
// or none, for example "imap.example.com:993:tls" or "[::1]:993:tls". The
// security part may be left out for the well-known ports 993 and 465 (tls)
// and 143 and 587 (starttls). Username and Auth are left empty.
func ParseEndpoint(s string) (Endpoint, error) {
	in := strings.TrimSpace(s)
	fail := func(format string, args ...any) (Endpoint, error) {
		return Endpoint{}, fmt.Errorf("invalid server %q: %s", s, fmt.Sprintf(format, args...))
	}
	if in == "" {
		return fail("empty; want host:port:security, e.g. imap.example.com:993:tls")
	}
	hostPort, sec := in, ""
	if i := strings.LastIndexByte(in, ':'); i >= 0 && !strings.HasSuffix(in, "]") {
		last := in[i+1:]
		if last == "" {
			return fail("missing security after the last ':' (want tls, starttls or none)")
		}
		if _, err := strconv.Atoi(last); err != nil {
			hostPort, sec = in[:i], strings.ToLower(last)
		}
	}
	host, portStr, err := net.SplitHostPort(hostPort)
	if err != nil {
		switch {
		case strings.Count(hostPort, ":") > 1 && !strings.HasPrefix(hostPort, "["):
			return fail("IPv6 addresses need brackets, e.g. [::1]:993:tls")
		case !strings.Contains(hostPort, ":"):
			return fail("missing port; want host:port:security, e.g. imap.example.com:993:tls")
		default:
			return fail("want host:port:security, e.g. imap.example.com:993:tls")
		}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fail("port %q is not a number", portStr)
	}
	e := Endpoint{Host: host, Port: port, Security: Security(sec)}
	if sec == "" {
		switch port {
		case 993, 465:
			e.Security = SecurityTLS
		case 143, 587:
			e.Security = SecuritySTARTTLS
		default:
			return fail("missing security; add :tls, :starttls or :none")
		}
	}
	if err := e.Validate(); err != nil {
		return fail("%v", err)
	}
	return e, nil
}

// Addr returns "host:port" suitable for net.Dial, with IPv6 addresses in
// brackets.
func (e Endpoint) Addr() string {
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// String returns the endpoint in the form accepted by ParseEndpoint.
func (e Endpoint) String() string {
	return e.Addr() + ":" + string(e.Security)
}

// AuthMethod returns Auth, or AuthPlain when Auth is empty.
func (e Endpoint) AuthMethod() string {
	if e.Auth == "" {
		return AuthPlain
	}
	return e.Auth
}

// Validate reports whether the endpoint is usable: a host name or IP address,
// a port in 1-65535, a known security mode and a known auth mechanism.
func (e Endpoint) Validate() error {
	if err := validateHost(e.Host); err != nil {
		return err
	}
	if e.Port < 1 || e.Port > 65535 {
		return fmt.Errorf("port %d out of range (1-65535)", e.Port)
	}
	switch e.Security {
	case SecurityTLS, SecuritySTARTTLS, SecurityNone:
	case "":
		return fmt.Errorf("security missing (want tls, starttls or none)")
	default:
		return fmt.Errorf("unknown security %q (want tls, starttls or none)", e.Security)
	}
	switch e.Auth {
	case "", AuthPlain, AuthOAuth2:
	default:
		return fmt.Errorf("unknown auth %q (want plain or oauth2)", e.Auth)
	}
	if strings.ContainsAny(e.Username, "\x00\r\n") {
		return fmt.Errorf("username contains a control character")
	}
	return nil
}

// validateHost accepts IP addresses and DNS-like names made of letters,
// digits, '-' and '_'.
func validateHost(host string) error {
	if host == "" {
		return fmt.Errorf("host missing")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if len(host) > 253 {
		return fmt.Errorf("host name too long")
	}
	name := strings.TrimSuffix(host, ".")
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return fmt.Errorf("invalid host %q: empty label", host)
		}
		if len(label) > 63 {
			return fmt.Errorf("invalid host %q: label too long", host)
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return fmt.Errorf("invalid host %q: character %q not allowed", host, r)
			}
		}
	}
	return nil
}
