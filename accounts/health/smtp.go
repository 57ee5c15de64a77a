package health

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
)

// smtpCaps are the SMTP extensions that matter to Tern, with what their
// absence costs.
var smtpCaps = []struct{ name, cost string }{
	{"SIZE", "a message too big is refused only after it was uploaded whole"},
	{"8BITMIME", "8-bit text is re-encoded before sending"},
	{"SMTPUTF8", "addresses with non-ASCII characters cannot be sent to"},
}

// CheckSMTP checks the SMTP server at ep step by step and signs in when
// opts.Password is set, without sending mail; as CheckIMAP, it probes the
// other security and port after a connection failure.
func CheckSMTP(ctx context.Context, ep accounts.Endpoint, opts *Options) *Server {
	return check(ctx, "SMTP", (*probe).runSMTP, ep, opts)
}

// runSMTP runs the steps after the connection, as runIMAP.
func (p *probe) runSMTP(ctx context.Context) (plainOnTLS, silent bool) {
	srv := p.srv
	cfg := p.tlsConfig()
	start := time.Now()
	var cl *smtp.Client
	var greeting *greetingConn
	switch p.ep.Security {
	case accounts.SecurityTLS:
		tc, plain, quiet := p.implicitTLS(ctx, cfg)
		if tc == nil {
			return plain, quiet
		}
		start = time.Now()
		greeting = &greetingConn{Conn: p.tr.wrap(tc)}
		cl = smtp.NewClient(greeting)
		if err := cl.Hello("localhost"); err != nil {
			return false, p.smtpGreetingFailed(start, err)
		}
		srv.add(StepGreeting, StatusOK, time.Since(start), "greeting and EHLO answered")
	case accounts.SecuritySTARTTLS:
		greeting = &greetingConn{Conn: p.tr.wrap(p.raw)}
		tc, greeted, err := smtpStartTLS(greeting, cfg)
		p.tr.plainDone()
		switch {
		case err != nil && !greeted:
			return false, p.smtpGreetingFailed(start, err)
		case err == errNoStartTLS:
			srv.add(StepGreeting, StatusOK, time.Since(start), "greeting and EHLO answered in plaintext")
			srv.add(StepTLS, StatusFail, 0, "the server does not offer STARTTLS")
			srv.Err = p.wrap(err)
			return false, false
		case err != nil:
			srv.add(StepGreeting, StatusOK, 0, "greeting and EHLO answered in plaintext")
			p.tlsDone(start, err)
			return false, false
		}
		srv.add(StepGreeting, StatusOK, 0, "greeting and EHLO answered in plaintext, STARTTLS accepted")
		p.tlsDone(start, nil)
		cl = smtp.NewClient(p.tr.wrap(tc))
		if err := cl.Hello("localhost"); err != nil {
			srv.add(StepCapabilities, StatusFail, 0, "EHLO after STARTTLS: "+smtpWords(err))
			srv.Err = p.wrap(err)
			return false, false
		}
	default:
		p.noTLS()
		greeting = &greetingConn{Conn: p.tr.wrap(p.raw)}
		cl = smtp.NewClient(greeting)
		if err := cl.Hello("localhost"); err != nil {
			return false, p.smtpGreetingFailed(start, err)
		}
		srv.add(StepGreeting, StatusOK, time.Since(start), "greeting and EHLO answered")
	}
	defer cl.Close()
	p.clock(string(greeting.line), time.Now())
	cl.CommandTimeout = p.o.Timeout
	p.smtpCapabilities(cl)
	if p.smtpSignIn(cl) {
		cl.Quit()
	}
	return false, false
}

// smtpGreetingFailed records a failed greeting or EHLO; it reports whether
// the server never said anything.
func (p *probe) smtpGreetingFailed(start time.Time, err error) bool {
	silent := p.silent(err)
	detail := smtpWords(err)
	if silent {
		detail = fmt.Sprintf("the server accepted the connection and said nothing in %s", p.o.Timeout)
	}
	p.srv.add(StepGreeting, StatusFail, time.Since(start), detail)
	p.srv.Err = p.wrap(err)
	if !silent {
		p.limitDiagnosis(detail, "")
	}
	return silent
}

func smtpWords(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		s := fmt.Sprintf("%d", se.Code)
		if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
			s += fmt.Sprintf(" %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return s + " " + se.Message
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%d %s", te.Code, te.Msg)
	}
	return accounts.Explain(err)
}

func (p *probe) smtpCapabilities(cl *smtp.Client) {
	start := time.Now()
	var missing []string
	for _, c := range smtpCaps {
		ok, param := cl.Extension(c.name)
		cp := Capability{Name: c.name, Present: ok}
		if c.name == "SIZE" && ok {
			if n, has := cl.MaxMessageSize(); has && n > 0 {
				p.srv.SizeLimit = int64(n)
				cp.Detail = fmt.Sprintf("%s limit", bytesWords(int64(n)))
			} else {
				cp.Detail = "no limit given " + param
			}
		}
		if !ok {
			cp.Cost = c.cost
			missing = append(missing, c.name)
		}
		p.srv.Capabilities = append(p.srv.Capabilities, cp)
	}
	if ok, param := cl.Extension("AUTH"); ok {
		for _, m := range strings.Fields(param) {
			p.srv.AuthMechanisms = append(p.srv.AuthMechanisms, strings.ToUpper(m))
		}
		slices.Sort(p.srv.AuthMechanisms)
	}
	p.srv.Capabilities = append(p.srv.Capabilities, Capability{Name: "AUTH", Present: len(p.srv.AuthMechanisms) > 0,
		Detail: strings.Join(p.srv.AuthMechanisms, " "), Cost: map[bool]string{false: "no sign-in offered: sending will be refused"}[len(p.srv.AuthMechanisms) > 0]})
	detail := "all that matter"
	if len(missing) > 0 {
		detail = "missing " + strings.Join(missing, ", ")
	}
	if p.srv.SizeLimit > 0 {
		detail += "; messages up to " + bytesWords(p.srv.SizeLimit)
	}
	p.srv.add(StepCapabilities, StatusOK, time.Since(start), detail)
}

// smtpSignIn runs the sign-in step; false when it failed or was skipped.
func (p *probe) smtpSignIn(cl *smtp.Client) bool {
	srv := p.srv
	if p.o.Password == "" {
		srv.add(StepSignIn, StatusSkip, 0, "no password to sign in with")
		return false
	}
	start := time.Now()
	var c sasl.Client
	switch {
	case slices.Contains(srv.AuthMechanisms, sasl.Plain):
		c = sasl.NewPlainClient("", p.o.Username, p.o.Password)
	case slices.Contains(srv.AuthMechanisms, sasl.Login):
		c = sasl.NewLoginClient(p.o.Username, p.o.Password)
	default:
		srv.add(StepSignIn, StatusFail, 0, "the server offers no sign-in Tern can use ("+strings.Join(srv.AuthMechanisms, " ")+")")
		srv.Err = p.wrap(errors.New("no usable AUTH mechanism"))
		return false
	}
	err := cl.Auth(c)
	if err == nil {
		srv.add(StepSignIn, StatusOK, time.Since(start), "signed in as "+p.o.Username)
		return true
	}
	words := smtpWords(err)
	srv.add(StepSignIn, StatusFail, time.Since(start), "the server said: "+words)
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		srv.Err = p.wrap(err)
		return false
	}
	srv.Err = &accounts.AuthError{Protocol: p.proto, Addr: p.ep.Addr(), Usernames: []string{p.o.Username}, Err: err}
	switch {
	case se.Code == 534 || appPassword("", words):
		p.appPasswordDiagnosis(words)
	case p.limitDiagnosis(words, ""):
	default:
		srv.diagnose(Diagnosis{Code: DiagAuthFailed, Evidence: words,
			Summary: "The server refused the user name or password (" + p.o.Username + ").",
			Fix:     "Enter the password again; if it is right, check the user name your provider wants.",
			Action:  &Action{Kind: ActionReenterPassword, Label: "Enter the password again"}})
	}
	return false
}

func bytesWords(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
