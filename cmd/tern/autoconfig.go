package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
)

// discoveryOptions is the type of env.autoconfig: nil means the real
// network; tests point discovery at local servers through it.
type discoveryOptions = autoconfig.Options

// discoveryOpts returns a copy of the env's discovery options.
func discoveryOpts(e *env) *autoconfig.Options {
	var o autoconfig.Options
	if e.autoconfig != nil {
		o = *e.autoconfig
		o.AcceptCerts = maps.Clone(o.AcceptCerts)
	}
	return &o
}

type evidenceJSON struct {
	Addr           string   `json:"addr"`
	Security       string   `json:"security"`
	TLSVersion     string   `json:"tls_version,omitempty"`
	Certificate    string   `json:"certificate,omitempty"`
	CertSHA256     string   `json:"cert_sha256,omitempty"`
	CertSubject    string   `json:"cert_subject,omitempty"`
	CertIssuer     string   `json:"cert_issuer,omitempty"`
	CertNotBefore  string   `json:"cert_not_before,omitempty"`
	CertNotAfter   string   `json:"cert_not_after,omitempty"`
	AuthMechanisms []string `json:"auth_mechanisms"`
	ElapsedMS      int64    `json:"elapsed_ms"`
}

func evidenceOut(ev *autoconfig.Evidence) *evidenceJSON {
	if ev == nil {
		return nil
	}
	j := &evidenceJSON{Addr: ev.Addr, Security: string(ev.Security), TLSVersion: ev.TLSVersion, Certificate: ev.Cert,
		AuthMechanisms: ev.AuthMechanisms, ElapsedMS: ev.Elapsed.Milliseconds()}
	if j.AuthMechanisms == nil {
		j.AuthMechanisms = []string{}
	}
	if ce := ev.CertError; ce != nil {
		j.CertSHA256, j.CertSubject, j.CertIssuer = ce.SHA256, ce.Subject, ce.Issuer
		j.CertNotBefore, j.CertNotAfter = ce.NotBefore.UTC().Format(time.RFC3339), ce.NotAfter.UTC().Format(time.RFC3339)
	}
	return j
}

type candidateJSON struct {
	Source   string   `json:"source"`
	Also     []string `json:"also,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Protocol string   `json:"protocol"`
	endpointJSON
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Unreachable: the server could not be reached at all (see
	// autoconfig.Candidate.Unreachable).
	Unreachable bool          `json:"unreachable,omitempty"`
	Evidence    *evidenceJSON `json:"evidence,omitempty"`
}

func candidateOut(c autoconfig.Candidate) candidateJSON {
	j := candidateJSON{Source: string(c.Source), Detail: c.Detail, Protocol: c.Protocol, endpointJSON: endpointOut(c.Endpoint),
		OK: c.OK, Error: c.Err, Unreachable: c.Unreachable, Evidence: evidenceOut(c.Evidence)}
	for _, s := range c.Also {
		j.Also = append(j.Also, string(s))
	}
	return j
}

// winnerJSON is a server discovery chose: verified, or unverified with
// the reason (it could not be reached to be checked).
type winnerJSON struct {
	endpointJSON
	Verified   bool   `json:"verified"`
	Unverified string `json:"unverified,omitempty"`
}

type discoveryJSON struct {
	Email      string          `json:"email"`
	IMAP       *winnerJSON     `json:"imap"`
	SMTP       *winnerJSON     `json:"smtp"`
	Source     string          `json:"source"`
	Error      string          `json:"error,omitempty"`
	ElapsedMS  int64           `json:"elapsed_ms"`
	Candidates []candidateJSON `json:"candidates"`
	Notes      []string        `json:"notes"`
}

func discoveryOut(res *autoconfig.Result, err error) discoveryJSON {
	j := discoveryJSON{Email: res.Email, Source: res.Source, ElapsedMS: res.Elapsed.Milliseconds(),
		Candidates: []candidateJSON{}, Notes: res.Notes}
	if j.Notes == nil {
		j.Notes = []string{}
	}
	j.IMAP = winnerOut(res, autoconfig.ProtocolIMAP, res.IMAPCandidate)
	j.SMTP = winnerOut(res, autoconfig.ProtocolSMTP, res.SMTPCandidate)
	if err != nil {
		j.Error = oneLine(err.Error())
	}
	for _, c := range res.Candidates {
		j.Candidates = append(j.Candidates, candidateOut(c))
	}
	return j
}

// unverifiedReason returns why res's winner for protocol is unverified, or
// "" when it is not.
func unverifiedReason(res *autoconfig.Result, protocol string) string {
	for _, u := range res.Unverified {
		if u.Protocol == protocol {
			return u.Reason
		}
	}
	return ""
}

// winnerOut is the winner c for protocol, or nil when none was found.
func winnerOut(res *autoconfig.Result, protocol string, c *autoconfig.Candidate) *winnerJSON {
	if c == nil {
		return nil
	}
	w := &winnerJSON{endpointJSON: endpointOut(c.Endpoint), Unverified: unverifiedReason(res, protocol)}
	w.Verified = c.OK
	return w
}

// describe is one line of evidence for people.
func describe(c *autoconfig.Candidate) string {
	var parts []string
	if ev := c.Evidence; ev != nil {
		if ev.TLSVersion != "" {
			parts = append(parts, ev.TLSVersion)
		}
		if ev.Cert != "" {
			parts = append(parts, "certificate "+ev.Cert)
		}
		if len(ev.AuthMechanisms) > 0 {
			parts = append(parts, "auth "+strings.Join(ev.AuthMechanisms, " "))
		}
		parts = append(parts, ev.Elapsed.Round(time.Millisecond).String())
	}
	if !c.OK {
		parts = append(parts, c.Err)
	}
	return strings.Join(parts, ", ")
}

// cmdAutoconfig runs discovery for an address and prints what it found,
// without logging in.
func cmdAutoconfig(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) != 1 {
		return fmt.Errorf("usage: tern autoconfig [--json] EMAIL")
	}
	var progress func(autoconfig.Event)
	if !a.has("json") {
		progress = func(ev autoconfig.Event) {
			if c := ev.Candidate; c != nil {
				mark := "ok  "
				if !c.OK {
					mark = "fail"
				}
				fmt.Fprintf(e.stdout, "%s %-4s %-40s %-15s %s\n", mark, c.Protocol, c.Endpoint.String(), c.Source, describe(c))
			}
		}
	}
	res, err := core.Discover(ctx, pos[0], discoveryOpts(e), progress)
	if res == nil {
		return err
	}
	if perr := out(e, a, discoveryOut(res, err), func(w io.Writer) {
		fmt.Fprintln(w)
		for _, win := range []struct {
			protocol string
			c        *autoconfig.Candidate
		}{{autoconfig.ProtocolIMAP, res.IMAPCandidate}, {autoconfig.ProtocolSMTP, res.SMTPCandidate}} {
			name := strings.ToUpper(win.protocol)
			if win.c == nil {
				fmt.Fprintf(w, "%s: none found\n", name)
				continue
			}
			user := win.c.Endpoint.Username
			if user == "" {
				user = "(the address or its local part)"
			}
			if why := unverifiedReason(res, win.protocol); why != "" {
				fmt.Fprintf(w, "%s: %s, user %s, from %s — UNVERIFIED: %s\n", name, win.c.Endpoint.String(), user, win.c.Source, why)
				continue
			}
			fmt.Fprintf(w, "%s: %s, user %s, from %s (%s)\n", name, win.c.Endpoint.String(), user, win.c.Source, describe(win.c))
		}
		if len(res.Unverified) > 0 {
			fmt.Fprintln(w, "Unverified settings come from a source that knows them, but Tern could not reach the server to check it; "+
				"they can be saved now and checked once the server can be reached.")
		}
		fmt.Fprintf(w, "Found in %v.\n", res.Elapsed.Round(time.Millisecond))
	}); perr != nil {
		return perr
	}
	return err
}

type attemptJSON struct {
	Username string `json:"username"`
	Error    string `json:"error,omitempty"`
}

type checkJSON struct {
	OK       bool          `json:"ok"`
	Username string        `json:"username,omitempty"`
	Evidence *evidenceJSON `json:"evidence,omitempty"`
	Attempts []attemptJSON `json:"attempts"`
}

func checkOut(c autoconfig.Check) checkJSON {
	j := checkJSON{OK: c.OK, Evidence: evidenceOut(&c.Evidence), Attempts: []attemptJSON{}}
	if c.OK {
		j.Username = c.Endpoint.Username
	}
	for _, at := range c.Attempts {
		j.Attempts = append(j.Attempts, attemptJSON{at.Username, at.Err})
	}
	return j
}

// addAccount is tern account add: discovery for the servers not given on
// the command line, a real login on both servers, then the account is
// stored. Nothing is stored when any step fails.
func addAccount(ctx context.Context, core *app.Core, a *args, e *env) error {
	email := strings.TrimSpace(a.str("email"))
	if email == "" {
		return fmt.Errorf("account add needs --email")
	}
	var imapEP, smtpEP accounts.Endpoint
	var err error
	haveIMAP, haveSMTP := a.str("imap") != "", a.str("smtp") != ""
	if haveIMAP {
		if imapEP, err = accounts.ParseEndpoint(a.str("imap")); err != nil {
			return fmt.Errorf("--imap: %w", err)
		}
	}
	if haveSMTP {
		if smtpEP, err = accounts.ParseEndpoint(a.str("smtp")); err != nil {
			return fmt.Errorf("--smtp: %w", err)
		}
	}
	pin := ""
	if fp := a.str("accept-cert"); fp != "" {
		if pin, err = accounts.NormalizeFingerprint(fp); err != nil {
			return fmt.Errorf("--accept-cert: %w", err)
		}
	}
	useOAuth := a.has("oauth")
	var password string
	switch {
	case useOAuth && a.has("password-stdin"):
		return fmt.Errorf("--oauth signs in in the browser: leave out --password-stdin")
	case useOAuth:
	case !a.has("password-stdin"):
		return fmt.Errorf("pass the password on standard input with --password-stdin (Tern keeps it in the OS keychain only), or sign in in the browser with --oauth")
	default:
		raw, err := io.ReadAll(io.LimitReader(e.stdin, 64<<10))
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(string(raw), "\r\n")
		if password == "" {
			return fmt.Errorf("the password on standard input is empty")
		}
	}

	// Discovery runs without the fingerprint: which server presents that
	// certificate is learnt from what the servers present, and only that
	// server (host:port) is pinned.
	opts := discoveryOpts(e)
	source := "command line"
	var res *autoconfig.Result
	if !haveIMAP || !haveSMTP {
		var derr error
		res, derr = core.Discover(ctx, email, opts, nil)
		if res == nil || errors.Is(derr, context.Canceled) {
			return derr
		}
		pick := func(protocol string, c *autoconfig.Candidate) (accounts.Endpoint, error) {
			if c != nil && c.OK {
				return c.Endpoint, nil
			}
			// No server that verifies: the best one presenting the
			// accepted certificate, if any.
			if pin != "" {
				if c != nil && c.Evidence != nil && c.Evidence.CertError != nil && c.Evidence.CertError.SHA256 == pin {
					return c.Endpoint, nil
				}
				for _, o := range res.Candidates {
					if o.Protocol == protocol && o.Evidence != nil && o.Evidence.CertError != nil && o.Evidence.CertError.SHA256 == pin {
						return o.Endpoint, nil
					}
				}
			}
			if c != nil && c.Evidence != nil && c.Evidence.CertError != nil {
				return accounts.Endpoint{}, c.Evidence.CertError
			}
			return accounts.Endpoint{}, derr
		}
		if !haveIMAP {
			if imapEP, err = pick(autoconfig.ProtocolIMAP, res.IMAPCandidate); err != nil {
				return err
			}
		}
		if !haveSMTP {
			if smtpEP, err = pick(autoconfig.ProtocolSMTP, res.SMTPCandidate); err != nil {
				return err
			}
		}
		source = res.Source
	}
	if u := a.str("username"); u != "" {
		imapEP.Username, smtpEP.Username = u, u
	}
	acct := accounts.Account{Name: a.str("name"), Email: email, IMAP: imapEP, SMTP: smtpEP}
	if acct.Name == "" {
		acct.Name = email
	}
	if useOAuth {
		return addOAuthAccount(ctx, core, a, e, acct, res, pin, opts, source)
	}
	v, err := verifyPinned(ctx, core, &acct, password, pin, opts)
	if err != nil {
		return err
	}
	added, err := core.AddAccount(ctx, v.Account, password, &app.AddOptions{SkipVerify: true})
	if err != nil {
		return err
	}
	result := struct {
		accountJSON
		Source       string               `json:"source"`
		Verification map[string]checkJSON `json:"verification"`
	}{accountOut(added), source, map[string]checkJSON{"imap": checkOut(v.IMAP), "smtp": checkOut(v.SMTP)}}
	return out(e, a, result, func(w io.Writer) {
		fmt.Fprintf(w, "Added account %s (%s): logged in to %s and %s (settings from %s); password kept in the keychain.\n",
			added.ID, added.Email, added.IMAP.Addr(), added.SMTP.Addr(), source)
	})
}

// verifyPinned logs in to acct's servers with secret (a password or an
// access token); when that fails on the certificate pin accepted with
// --accept-cert, it pins it for the server that presented it, and only
// there, and logs in again.
func verifyPinned(ctx context.Context, core *app.Core, acct *accounts.Account, password, pin string, opts *autoconfig.Options) (*autoconfig.Verification, error) {
	v, err := core.VerifyAccount(ctx, *acct, password, opts)
	if err != nil && pin != "" && v != nil {
		// Pin the accepted certificate for the server that presented
		// it, and only there; a different certificate elsewhere is still
		// refused by the second check.
		pinned := false
		for _, ch := range []autoconfig.Check{v.IMAP, v.SMTP} {
			if ce := ch.Evidence.CertError; ce != nil && ce.SHA256 == pin {
				if perr := acct.TrustCert(ch.Endpoint.Host, ch.Endpoint.Port, pin); perr != nil {
					return nil, perr
				}
				pinned = true
			}
		}
		if pinned {
			v, err = core.VerifyAccount(ctx, *acct, password, opts)
		}
	}
	return v, err
}
