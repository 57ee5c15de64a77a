package health_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/health"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestDovecotLimits produces, on a real Dovecot, the evidence of two
// diagnoses: a sign-in refused because mail_max_userip_connections=1 is
// used up by another connection, and a mailbox over its quota.
func TestDovecotLimits(t *testing.T) {
	r := mailtest.RealForTest(t)
	user := r.Users[0]
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(r.CertPEM) {
		t.Fatal("no certificate")
	}
	ep := endpoint(splitPort(t, r.IMAPSAddr), accounts.SecurityTLS)
	ep.Username = user.Name
	opts := &health.Options{Username: user.Name, Password: user.Password, Roots: roots, NoAlternates: true}

	t.Run("too-many-connections", func(t *testing.T) {
		if err := r.ReconfigureDovecot("mail_max_userip_connections = 1"); err != nil {
			t.Fatal(err)
		}
		// Another mail app holds the one connection allowed.
		other, err := imapclient.DialTLS(r.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.Login(user.Name, user.Password).Wait(); err != nil {
			t.Fatal(err)
		}
		s := check(t, "IMAP", ep, opts)
		dump(t, s)
		wantStep(t, s, health.StepSignIn, health.StatusFail)
		d := wantDiagnosis(t, s, health.DiagTooManyConns)
		if d.Action == nil || d.Action.Kind != health.ActionFewerConnections {
			t.Errorf("action %+v", d.Action)
		}
		other.Logout().Wait()
	})

	t.Run("over-quota", func(t *testing.T) {
		for i := range 3 {
			msg := fmt.Sprintf("From: bob@example.test\r\nTo: %s\r\nSubject: big %d\r\n\r\n%s\r\n", user.Name, i, strings.Repeat("x", 2000))
			if err := r.Deliver(user.Name, []byte(msg)); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.ReconfigureDovecot(`mail_max_userip_connections = 200
mail_plugins = $mail_plugins quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota
}
plugin {
  quota = count:User quota
  quota_rule = *:storage=4K
  quota_vsizes = yes
}`); err != nil {
			t.Fatal(err)
		}
		s := check(t, "IMAP", ep, opts)
		dump(t, s)
		wantStep(t, s, health.StepSignIn, health.StatusOK)
		st := wantStep(t, s, health.StepQuota, health.StatusFail)
		if !strings.Contains(st.Detail, "storage") || len(s.Quotas) == 0 || s.Quotas[0].Limit != 4 || s.Quotas[0].Usage <= 4 {
			t.Errorf("quota step %q, quotas %+v", st.Detail, s.Quotas)
		}
		wantDiagnosis(t, s, health.DiagOverQuota)
	})
}
