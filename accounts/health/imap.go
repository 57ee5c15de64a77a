package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/imapguard"
)

// imapCaps are the IMAP capabilities that matter to Tern, with what their
// absence costs.
var imapCaps = []struct{ name, cost string }{
	{"IDLE", "no push: new mail shows up only at the next poll"},
	{"CONDSTORE", "flag changes are found by fetching every message's flags, slower on big folders"},
	{"MOVE", "moves are a copy, a delete and an expunge: slower, and briefly in both folders"},
	{"UIDPLUS", "moved and sent messages are found again by searching, not by their new UID"},
	{"SPECIAL-USE", "Sent, Drafts, Trash and Junk are guessed from folder names"},
	{"LIST-STATUS", "folder counts take one STATUS command per folder"},
}

// CheckIMAP checks the IMAP server at ep step by step, signs in when
// opts.Password is set, reads the quota, and diagnoses what failed. When
// the connection fails and opts.NoAlternates is false, it also probes the
// other security on the same port and the other standard port, to tell a
// wrong setting or a blocked port from a server that is down. It never
// changes anything on the server.
func CheckIMAP(ctx context.Context, ep accounts.Endpoint, opts *Options) *Server {
	return check(ctx, "IMAP", (*probe).runIMAP, ep, opts)
}

// runIMAP runs the steps after the connection; it reports whether a TLS
// handshake met plaintext, and whether the server never said anything.
func (p *probe) runIMAP(ctx context.Context) (plainOnTLS, silent bool) {
	srv := p.srv
	cfg := p.tlsConfig()
	var cl *imapclient.Client
	start := time.Now()
	switch p.ep.Security {
	case accounts.SecurityTLS:
		tc, plain, quiet := p.implicitTLS(ctx, cfg)
		if tc == nil {
			return plain, quiet
		}
		start = time.Now()
		cl = imapclient.New(imapguard.New(p.tr.wrap(tc)), nil)
	case accounts.SecuritySTARTTLS:
		pre := p.tr.wrap(p.raw)
		tc, err := imapguard.StartTLS(pre, cfg)
		p.tr.plainDone()
		if err != nil {
			var re *imapguard.RefusedError
			switch {
			case p.silent(err):
				srv.add(StepGreeting, StatusFail, time.Since(start), fmt.Sprintf("the server accepted the connection and said nothing in %s", p.o.Timeout))
				srv.Err = p.wrap(err)
				return false, true
			case errors.As(err, &re) && re.Status == "BYE":
				srv.add(StepGreeting, StatusFail, time.Since(start), "the server said goodbye at once: "+re.Text)
				srv.Err = p.wrap(err)
				p.limitDiagnosis(re.Text, "")
				return false, false
			case errors.As(err, &re):
				srv.add(StepGreeting, StatusOK, 0, "greeting received in plaintext")
				srv.add(StepTLS, StatusFail, time.Since(start), "the server refused STARTTLS: "+re.Status+" "+re.Text)
				srv.Err = p.wrap(err)
				return false, false
			}
			srv.add(StepGreeting, StatusOK, 0, "greeting received in plaintext")
			p.tlsDone(start, err)
			return false, false
		}
		srv.add(StepGreeting, StatusOK, 0, "greeting received in plaintext, STARTTLS accepted")
		p.tlsDone(start, nil)
		start = time.Now()
		cl = imapclient.New(imapguard.NewAfterStartTLS(p.tr.wrap(tc)), nil)
	default:
		p.noTLS()
		cl = imapclient.New(imapguard.New(p.tr.wrap(p.raw)), nil)
	}
	defer cl.Close()
	if err := cl.WaitGreeting(); err != nil {
		silent = p.silent(err)
		detail := accounts.Explain(err)
		if silent {
			detail = fmt.Sprintf("the server said nothing in %s", p.o.Timeout)
		}
		srv.add(StepGreeting, StatusFail, time.Since(start), detail)
		srv.Err = p.wrap(err)
		return false, silent
	}
	if p.ep.Security != accounts.SecuritySTARTTLS {
		srv.add(StepGreeting, StatusOK, time.Since(start), "OK")
	}
	start = time.Now()
	caps, err := cl.Capability().Wait()
	if err != nil {
		srv.add(StepCapabilities, StatusFail, time.Since(start), accounts.Explain(err))
		srv.Err = p.wrap(err)
		return false, false
	}
	srv.AuthMechanisms = imapMechanisms(caps)
	capStep := len(srv.Steps)
	srv.add(StepCapabilities, StatusOK, time.Since(start), "")
	p.imapCapabilities(caps, capStep, false)
	if !p.imapSignIn(cl, caps) {
		return false, false
	}
	if caps2, err := cl.Capability().Wait(); err == nil {
		caps = caps2
		p.imapCapabilities(caps, capStep, true)
	}
	p.imapQuota(cl, caps)
	logout(cl)
	return false, false
}

// stepError is a failure whose words say more than the error beneath.
type stepError struct {
	msg string
	err error
}

func (e *stepError) Error() string { return e.msg + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func handshakeErr(err error, silent, plain bool) error {
	switch {
	case silent:
		return &stepError{"no answer to the TLS handshake", err}
	case plain:
		return &stepError{"the server answered in plaintext, not TLS (a STARTTLS port?)", err}
	}
	return err
}

// isPlaintext reports whether a TLS handshake failed because the server
// spoke plaintext (a greeting), as a STARTTLS port does.
func isPlaintext(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh)
}

func (p *probe) imapCapabilities(caps imap.CapSet, step int, afterSignIn bool) {
	p.srv.Capabilities = p.srv.Capabilities[:0]
	var missing []string
	for _, c := range imapCaps {
		present := caps.Has(imap.Cap(c.name))
		cp := Capability{Name: c.name, Present: present}
		if !present {
			cp.Cost = c.cost
			missing = append(missing, c.name)
		}
		p.srv.Capabilities = append(p.srv.Capabilities, cp)
	}
	p.srv.Capabilities = append(p.srv.Capabilities, Capability{Name: "AUTH", Present: len(p.srv.AuthMechanisms) > 0,
		Detail: strings.Join(p.srv.AuthMechanisms, " ")})
	detail := "all that matter"
	if len(missing) > 0 {
		detail = "missing " + strings.Join(missing, ", ")
	}
	if afterSignIn {
		detail += " (after sign-in)"
	}
	p.srv.Steps[step].Detail = detail
}

func imapMechanisms(caps imap.CapSet) []string {
	var mechs []string
	for c := range caps {
		if m, ok := strings.CutPrefix(strings.ToUpper(string(c)), "AUTH="); ok {
			mechs = append(mechs, m)
		}
	}
	slices.Sort(mechs)
	if !caps.Has(imap.CapLoginDisabled) {
		mechs = append(mechs, "LOGIN")
	}
	return mechs
}

// imapSignIn runs the sign-in step; false when it failed.
func (p *probe) imapSignIn(cl *imapclient.Client, caps imap.CapSet) bool {
	srv := p.srv
	if p.o.Password == "" {
		srv.add(StepSignIn, StatusSkip, 0, "no password to sign in with")
		return false
	}
	start := time.Now()
	var err error
	switch {
	case caps.Has(imap.AuthCap(sasl.Plain)):
		err = cl.Authenticate(sasl.NewPlainClient("", p.o.Username, p.o.Password))
	case caps.Has(imap.CapLoginDisabled):
		srv.add(StepSignIn, StatusFail, 0, "the server allows no password sign-in here (LOGINDISABLED)")
		srv.Err = p.wrap(errors.New("LOGINDISABLED"))
		return false
	default:
		err = cl.Login(p.o.Username, p.o.Password).Wait()
	}
	if err == nil {
		srv.add(StepSignIn, StatusOK, time.Since(start), "signed in as "+p.o.Username)
		return true
	}
	var ie *imap.Error
	words := accounts.Explain(err)
	code := ""
	if errors.As(err, &ie) {
		code = string(ie.Code)
		words = string(ie.Type) + " " + bracket(code) + ie.Text
	}
	srv.add(StepSignIn, StatusFail, time.Since(start), "the server said: "+words)
	if ie != nil {
		srv.Err = &accounts.AuthError{Protocol: p.proto, Addr: p.ep.Addr(), Usernames: []string{p.o.Username}, Err: err}
	} else {
		srv.Err = p.wrap(err)
	}
	switch {
	case appPassword(code, words):
		p.appPasswordDiagnosis(words)
	case p.limitDiagnosis(words, code):
	case ie != nil:
		srv.diagnose(Diagnosis{Code: DiagAuthFailed, Evidence: words,
			Summary: "The server refused the user name or password (" + p.o.Username + ").",
			Fix:     "Enter the password again; if it is right, check the user name your provider wants.",
			Action:  &Action{Kind: ActionReenterPassword, Label: "Enter the password again"}})
	}
	return false
}

func bracket(code string) string {
	if code == "" {
		return ""
	}
	return "[" + code + "] "
}

// appPassword reports whether a refusal asks for an app password or a web
// sign-in rather than saying the password is wrong.
func appPassword(code, words string) bool {
	return contains(words, "application-specific password") || contains(words, "app password") ||
		contains(words, "5.7.9") || code == "WEBALERT" || contains(words, "web login required") ||
		contains(words, "[WEBALERT")
}

func (p *probe) appPasswordDiagnosis(words string) {
	p.srv.diagnose(Diagnosis{Code: DiagAppPassword, Evidence: "the server said: " + words,
		Summary: "The server does not accept your normal password here: it wants an app password (or a sign-in on its web page first).",
		Fix:     "Create an app password in your provider's account security settings and enter it instead of your password.",
		Action:  &Action{Kind: ActionReenterPassword, Label: "Enter an app password"}})
}

// limitDiagnosis diagnoses too many connections from the server's words;
// false when they do not say so.
func (p *probe) limitDiagnosis(words, code string) bool {
	if code != "LIMIT" && !contains(words, "[LIMIT]") && !contains(words, "too many") &&
		!contains(words, "maximum number of connections") && !contains(words, "mail_max_userip_connections") &&
		!contains(words, "connection limit") && !contains(words, "concurrent connections") {
		return false
	}
	p.srv.diagnose(Diagnosis{Code: DiagTooManyConns, Evidence: "the server said: " + words,
		Summary: "The server refuses more connections from you: other mail apps (or Tern's own connections) use them all.",
		Fix:     "Close other mail apps on this network, or let Tern use fewer connections for this account.",
		Action:  &Action{Kind: ActionFewerConnections, Label: "Use fewer connections"}})
	return true
}

// imapQuota runs the quota step.
func (p *probe) imapQuota(cl *imapclient.Client, caps imap.CapSet) {
	srv := p.srv
	if !caps.Has(imap.CapQuota) {
		srv.add(StepQuota, StatusSkip, 0, "the server does not report quota")
		return
	}
	start := time.Now()
	roots, err := cl.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		srv.add(StepQuota, StatusWarn, time.Since(start), "the server did not say: "+accounts.Explain(err))
		return
	}
	st, parts := StatusOK, []string{}
	for _, r := range roots {
		for res, d := range r.Resources {
			q := Quota{Root: r.Root, Resource: string(res), Usage: d.Usage, Limit: d.Limit}
			srv.Quotas = append(srv.Quotas, q)
			parts = append(parts, quotaWords(q))
			switch pc := q.Percent(); {
			case pc >= 100:
				st = StatusFail
				srv.diagnose(Diagnosis{Code: DiagOverQuota, Evidence: quotaWords(q),
					Summary: "The mailbox is full: the server will refuse new mail and saving to Sent or Drafts.",
					Fix:     "Delete or archive large messages, empty Trash, or get more space from your provider.",
					Action:  &Action{Kind: ActionFreeSpace, Label: "Show the largest messages"}})
			case pc > 90:
				if st == StatusOK {
					st = StatusWarn
				}
				srv.diagnose(Diagnosis{Code: DiagNearQuota, Evidence: quotaWords(q),
					Summary: fmt.Sprintf("The mailbox is %.0f%% full.", pc),
					Fix:     "Delete or archive large messages before the server starts refusing mail.",
					Action:  &Action{Kind: ActionFreeSpace, Label: "Show the largest messages"}})
			}
		}
	}
	slices.SortFunc(srv.Quotas, func(a, b Quota) int { return strings.Compare(a.Root+a.Resource, b.Root+b.Resource) })
	slices.Sort(parts)
	if len(parts) == 0 {
		srv.add(StepQuota, StatusOK, time.Since(start), "no limit")
		return
	}
	srv.add(StepQuota, st, time.Since(start), strings.Join(parts, "; "))
	if st == StatusFail && srv.Err == nil {
		srv.Err = errors.New("the mailbox is over its quota")
	}
}

func quotaWords(q Quota) string {
	if q.Resource == string(imap.QuotaResourceStorage) {
		return fmt.Sprintf("storage %s of %s (%.0f%%)", kib(q.Usage), kib(q.Limit), q.Percent())
	}
	return fmt.Sprintf("%s %d of %d (%.0f%%)", strings.ToLower(q.Resource), q.Usage, q.Limit, q.Percent())
}

func kib(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d KiB", n)
}

// logout says goodbye; the connection's deadline bounds the wait.
func logout(cl *imapclient.Client) {
	cl.Logout().Wait()
}
