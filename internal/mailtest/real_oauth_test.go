package mailtest

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/internal/oauthsasl"
)

func realOAuthClient(t *testing.T, mech, user, token, addr string) *oauthsasl.Client {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	c, err := oauthsasl.New(mech, user, token, host, p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRealOAuth signs in to Dovecot (IMAP) and Postfix (submission,
// through Dovecot's SASL) with access tokens from an OAuthServer, which
// Dovecot checks by introspection, and checks that expired, revoked and
// other users' tokens are refused while passwords still work.
func TestRealOAuth(t *testing.T) {
	o := StartOAuth(t, nil)
	r := RealForTestWith(t, RealOptions{OAuth: o})
	alice, bob := RealDefaultUsers[0], RealDefaultUsers[1]

	c := realDialIMAP(t, r, realIMAPS)
	for _, m := range []string{"XOAUTH2", "OAUTHBEARER", "PLAIN"} {
		if !c.Caps().Has(imap.Cap("AUTH=" + m)) {
			t.Errorf("Dovecot does not offer AUTH=%s (caps %v)", m, c.Caps())
		}
	}

	for _, mech := range []string{oauthsasl.XOAUTH2, oauthsasl.OAuthBearer} {
		t.Run(mech, func(t *testing.T) {
			tok, err := o.IssueToken(alice.Name)
			if err != nil {
				t.Fatal(err)
			}
			c := realDialIMAP(t, r, realIMAPS)
			if err := c.Authenticate(realOAuthClient(t, mech, alice.Name, tok, r.IMAPSAddr)); err != nil {
				t.Fatalf("IMAP AUTHENTICATE %s: %v\n%s", mech, err, r.LogTail(20))
			}
			realInboxCount(t, c) // a command that needs a signed-in user

			sc, err := r.DialSubmission()
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			if ok, _ := sc.Extension("AUTH"); !ok {
				t.Fatal("Postfix offers no AUTH")
			}
			if err := sc.Auth(realOAuthClient(t, mech, alice.Name, tok, r.SubmissionAddr)); err != nil {
				t.Fatalf("SMTP AUTH %s: %v\n%s", mech, err, r.LogTail(20))
			}
			subject := "oauth " + mech
			if err := sc.SendMail(alice.Name, []string{bob.Name}, bytes.NewReader(realTestMessage(alice.Name, bob.Name, subject))); err != nil {
				t.Fatalf("send: %v", err)
			}
			sc.Quit()
			realWaitSubject(t, r, realLogin(t, r, realIMAPS, bob), subject, 30*time.Second)
		})
	}

	// refused checks that mech with token for user is refused by IMAP and
	// SMTP after the server's error challenge: with a NO (535 in SMTP), not
	// an aborted exchange. XOAUTH2's answer to the challenge is an empty
	// response, which go-imap sends as "=" (RFC 4959's empty initial
	// response, not a continuation's empty line); Dovecot answers that
	// with BAD, so an IMAP client takes a failure after the challenge as
	// the refusal.
	refused := func(t *testing.T, mech, user, token string) {
		t.Helper()
		c := realDialIMAP(t, r, realIMAPS)
		sc := realOAuthClient(t, mech, user, token, r.IMAPSAddr)
		err := c.Authenticate(sc)
		var ie *imap.Error
		want := imap.StatusResponseTypeNo
		if mech == oauthsasl.XOAUTH2 {
			want = imap.StatusResponseTypeBad
		}
		if !errors.As(err, &ie) || ie.Type != want {
			t.Fatalf("IMAP %s: got %v, want %s\n%s", mech, err, want, r.LogTail(20))
		}
		if sc.Refusal() == nil {
			t.Errorf("IMAP %s: no error challenge before the NO", mech)
		}
		sub, err := r.DialSubmission()
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		ssc := realOAuthClient(t, mech, user, token, r.SubmissionAddr)
		err = sub.Auth(ssc)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 535 {
			t.Fatalf("SMTP %s: got %v, want 535\n%s", mech, err, r.LogTail(20))
		}
		if ssc.Refusal() == nil {
			t.Errorf("SMTP %s: no error challenge before the 535", mech)
		}
	}
	for _, mech := range []string{oauthsasl.XOAUTH2, oauthsasl.OAuthBearer} {
		t.Run(mech+" refusals", func(t *testing.T) {
			t.Run("expired", func(t *testing.T) {
				tok, _ := o.IssueToken(alice.Name)
				o.ExpireAccessTokens(alice.Name)
				refused(t, mech, alice.Name, tok)
			})
			t.Run("revoked", func(t *testing.T) {
				tok, _ := o.IssueToken(alice.Name)
				o.Revoke(alice.Name)
				refused(t, mech, alice.Name, tok)
			})
			t.Run("another user's", func(t *testing.T) {
				tok, _ := o.IssueToken(bob.Name)
				refused(t, mech, alice.Name, tok)
			})
			t.Run("garbage", func(t *testing.T) {
				refused(t, mech, alice.Name, "not-a-token")
			})
		})
	}

	t.Run("password still works", func(t *testing.T) {
		realInboxCount(t, realLogin(t, r, realIMAPS, alice))
		if err := r.Submit(alice, alice.Name, []string{bob.Name}, realTestMessage(alice.Name, bob.Name, "password")); err != nil {
			t.Fatal(err)
		}
	})
}
