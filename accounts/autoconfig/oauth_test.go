package autoconfig_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/accounts/autoconfig/autoconfigtest"
	"github.com/ternmail/tern/accounts/oauth"
)

func oauthXML(imapHost, smtpHost, auth string) string {
	return `<clientConfig version="1.1"><emailProvider id="x">
<incomingServer type="imap"><hostname>` + imapHost + `</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>` + auth + `</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>` + smtpHost + `</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>` + auth + `</authentication></outgoingServer>
</emailProvider></clientConfig>`
}

// TestOAuthPresetMatched finds the preset by each route discovery has:
// the provider table, the MX of a hosted domain, the domain's autoconfig
// that says OAuth2, and an ISPDB entry naming the provider's host.
func TestOAuthPresetMatched(t *testing.T) {
	t.Setenv(oauth.EnvGoogleClientID, "")
	t.Setenv(oauth.EnvMicrosoftClientID, "ms-client")
	n := autoconfigtest.New(t)
	srv := mailServer(t, "x", "pw")
	serve(n, srv, "imap.gmail.com", "smtp.gmail.com")
	serve(n, srv, "outlook.office365.com", "smtp.office365.com")
	serve(n, srv, "mail.plain.test", "mail.plain.test")
	serve(n, srv, "mail.custom.test", "mail.custom.test")
	n.MX("workspace.test", 1, "aspmx.l.google.com")
	n.MX("tenant.test", 0, "tenant-test.mail.protection.outlook.com")
	n.Page("https://autoconfig.auto365.test/mail/config-v1.1.xml", oauthXML("outlook.office365.com", "smtp.office365.com", "OAuth2"))
	n.Page("https://autoconfig.thunderbird.net/v1.1/isp.test", oauthXML("imap.gmail.com", "smtp.gmail.com", "password-cleartext"))
	n.Page("https://autoconfig.plain.test/mail/config-v1.1.xml", oauthXML("mail.plain.test", "mail.plain.test", "password-cleartext"))
	n.Page("https://autoconfig.custom.test/mail/config-v1.1.xml", oauthXML("mail.custom.test", "mail.custom.test", "OAuth2"))

	for _, tc := range []struct {
		email, preset string
		source        autoconfig.Source
		configured    bool
	}{
		{"alice@gmail.com", "google", autoconfig.SourceProvider, false},
		{"erin@workspace.test", "google", autoconfig.SourceMX, false},
		{"tom@tenant.test", "microsoft", autoconfig.SourceMX, true},
		{"ann@auto365.test", "microsoft", autoconfig.SourceAutoconfig, true},
		{"ivy@isp.test", "google", autoconfig.SourceISPDB, false},
		{"pat@plain.test", "", autoconfig.SourceAutoconfig, false},
		{"cus@custom.test", "", autoconfig.SourceAutoconfig, false},
	} {
		t.Run(tc.email, func(t *testing.T) {
			res, err := discover(t, tc.email, n.Options())
			var ue *autoconfig.UnverifiedError
			if err != nil && !errors.As(err, &ue) { // 365's SMTP is STARTTLS on 587, not served here
				t.Fatal(err)
			}
			if res.IMAPCandidate == nil || res.IMAPCandidate.Source != tc.source {
				t.Fatalf("IMAP winner %+v, want one from %s", res.IMAPCandidate, tc.source)
			}
			notes := strings.Join(res.Notes, "\n")
			if tc.preset == "" {
				if res.OAuth != nil {
					t.Fatalf("OAuth %+v, want none", res.OAuth)
				}
				if strings.HasPrefix(tc.email, "cus@") && !strings.Contains(notes, "OAuth 2.0 only, and Tern knows no sign-in") {
					t.Errorf("notes %q lack the unknown OAuth provider", notes)
				}
				return
			}
			if res.OAuth == nil || res.OAuth.Preset != tc.preset || res.OAuth.Configured != tc.configured {
				t.Fatalf("OAuth %+v, want preset %s configured %v", res.OAuth, tc.preset, tc.configured)
			}
			if !tc.configured && !strings.Contains(notes, "no Google sign-in registered") {
				t.Errorf("notes %q do not say that no client is configured", notes)
			}
		})
	}
}
