package autoconfig

import (
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts"
)

const sampleConfig = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <domain>Example.ORG</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-encrypted</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>25</port>
      <socketType>plain</socketType>
      <authentication>client-IP-address</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>bogus</port>
    </outgoingServer>
  </emailProvider>
</clientConfig>`

func TestParseConfig(t *testing.T) {
	cc, err := ParseConfig([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cc.ID != "example.test" || len(cc.Domains) != 2 || cc.Domains[1] != "example.org" || cc.DisplayName != "Example Mail" {
		t.Fatalf("header: %+v", cc)
	}
	if len(cc.Incoming) != 3 || len(cc.Outgoing) != 2 {
		t.Fatalf("servers: %d in, %d out", len(cc.Incoming), len(cc.Outgoing))
	}
	email := "alice@example.test"
	tests := []struct {
		s       ServerConfig
		want    accounts.Endpoint
		wantErr bool
	}{
		{cc.Incoming[0], accounts.Endpoint{Host: "imap.example.test", Port: 993, Security: accounts.SecurityTLS, Username: "alice", Auth: accounts.AuthPlain}, false},
		{cc.Incoming[1], accounts.Endpoint{Host: "imap.example.test", Port: 143, Security: accounts.SecuritySTARTTLS, Username: email, Auth: accounts.AuthPlain}, false},
		{cc.Outgoing[0], accounts.Endpoint{Host: "smtp.example.test", Port: 587, Security: accounts.SecuritySTARTTLS, Username: email, Auth: accounts.AuthOAuth2}, false},
		{cc.Outgoing[1], accounts.Endpoint{}, true},
	}
	for i, tc := range tests {
		got, err := tc.s.Endpoint(email)
		if (err != nil) != tc.wantErr || !tc.wantErr && got != tc.want {
			t.Errorf("%d: got %+v, %v; want %+v", i, got, err, tc.want)
		}
	}
	if cc.Incoming[2].Type != "pop3" {
		t.Errorf("pop3 server type %q", cc.Incoming[2].Type)
	}
	plain := ServerConfig{Type: "smtp", Hostname: "h.test", Port: 25, SocketType: "plain", Authentication: []string{"password-cleartext"}}
	if ep, err := plain.Endpoint(email); err != nil || ep.Security != accounts.SecurityNone {
		t.Errorf("plain: %+v %v", ep, err)
	}
	for _, bad := range []string{"", "<html>", "<clientConfig></clientConfig>"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%q) succeeded", bad)
		}
	}
}

func TestExpand(t *testing.T) {
	for in, want := range map[string]string{
		"%EMAILADDRESS%":             "Bob.X@example.test",
		"%emaillocalpart%":           "Bob.X",
		"mail.%EMAILDOMAIN%":         "mail.example.test",
		"%UNKNOWN%-%EMAILLOCALPART%": "%UNKNOWN%-Bob.X",
		"100%":                       "100%",
		"plain":                      "plain",
	} {
		if got := expand(in, "Bob.X@example.test"); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProviderTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range providers {
		if len(p.imap) == 0 || len(p.smtp) == 0 {
			t.Errorf("%s: no servers", p.name)
		}
		for _, d := range p.domains {
			if seen[d] {
				t.Errorf("%s: domain %s listed twice", p.name, d)
			}
			seen[d] = true
		}
		for _, proto := range []string{ProtocolIMAP, ProtocolSMTP} {
			for _, ep := range p.endpoints(proto, "a@b.test") {
				if err := ep.Validate(); err != nil {
					t.Errorf("%s: %v", p.name, err)
				}
			}
		}
	}
	if p, ok := lookupProvider("GMAIL.com", false); !ok || p.imap[0].host != "imap.gmail.com" {
		t.Error("gmail.com not found")
	}
	if p, ok := lookupProvider("outlook.com", true); !ok || p.smtp[0].host != "smtp.office365.com" {
		t.Error("Microsoft 365 not found by MX")
	}
}

// password-encrypted (CRAM-MD5) is not silently taken for a password Tern
// may send as it likes: only inside TLS, with PLAIN or LOGIN, and said so.
func TestPasswordEncryptedIsHonest(t *testing.T) {
	email := "alice@example.test"
	enc := func(socket string, auth ...string) ServerConfig {
		return ServerConfig{Type: "imap", Hostname: "imap.example.test", Port: 993, SocketType: socket, Authentication: auth}
	}
	if s := enc("SSL", "password-encrypted"); !s.EncryptedOnly() {
		t.Error("password-encrypted alone: not EncryptedOnly")
	} else if ep, err := s.Endpoint(email); err != nil || ep.Auth != accounts.AuthPlain || ep.Security != accounts.SecurityTLS {
		t.Errorf("inside TLS: %+v %v", ep, err)
	}
	if _, err := enc("plain", "password-encrypted").Endpoint(email); err == nil || !strings.Contains(err.Error(), "readable") {
		t.Errorf("password-encrypted without TLS accepted: %v", err)
	}
	if s := enc("plain", "password-encrypted", "password-cleartext"); s.EncryptedOnly() {
		t.Error("cleartext allowed too: EncryptedOnly")
	} else if _, err := s.Endpoint(email); err != nil {
		t.Errorf("cleartext allowed too: %v", err)
	}
	f := &finding{source: SourceAutoconfig}
	cc := &ClientConfig{Incoming: []ServerConfig{enc("SSL", "password-encrypted"), enc("plain", "password-encrypted")}}
	if n := f.addConfig(cc, email, "https://autoconfig.example.test/x", false); n != 1 {
		t.Fatalf("%d servers proposed, want the TLS one only", n)
	}
	if !strings.Contains(f.props[0].detail, "PLAIN or LOGIN inside TLS") {
		t.Errorf("detail %q does not record the substitution", f.props[0].detail)
	}
	notes := strings.Join(f.notes, "\n")
	if !strings.Contains(notes, "CRAM-MD5") || !strings.Contains(notes, "skipping imap server") {
		t.Errorf("notes: %s", notes)
	}
}
