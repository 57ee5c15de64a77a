package autoconfig

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
)

// splitEmail returns the local part and the lowercased domain of email.
func splitEmail(email string) (local, domain string, err error) {
	i := strings.LastIndexByte(email, '@')
	if i <= 0 || i == len(email)-1 || strings.ContainsAny(email, " \t\r\n\x00<>") {
		return "", "", fmt.Errorf("%q is not an email address", email)
	}
	local, domain = email[:i], strings.TrimSuffix(strings.ToLower(email[i+1:]), ".")
	if err := (accounts.Endpoint{Host: domain, Port: 1, Security: accounts.SecurityTLS}).Validate(); err != nil || !strings.Contains(domain, ".") {
		return "", "", fmt.Errorf("%q is not an email address: bad domain", email)
	}
	return local, domain, nil
}

// probeDone is the outcome of one probe.
type probeDone struct {
	idx int
	ev  Evidence
	err error
}

// sourcesFailed reports sources whose goroutine panicked.
type sourcesFailed struct {
	sources []Source
	err     error
}

// Discover finds the IMAP and SMTP servers for email: it asks all sources
// at once (see the package documentation), probes every server they name,
// and returns the best working server for each protocol with the evidence
// for every candidate. It returns within the budget (Options.Budget) even
// when a source hangs. progress, if not nil, is called for each source note
// and each finished probe, from one goroutine at a time and never after
// Discover returns.
//
// The Result is returned whenever the address is valid, also with an error:
// a *NotFoundError when no server works for a protocol, an error wrapping
// the *accounts.CertError when the best server only lacks a trusted
// certificate, an *UnverifiedError when a winner is a server named by an
// authority that could not be reached (see Result.Unverified), or ctx's
// error when ctx ended.
func Discover(ctx context.Context, email string, opts *Options, progress func(Event)) (*Result, error) {
	email = strings.TrimSpace(email)
	_, domain, err := splitEmail(email)
	if err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(Event) {}
	}
	cfg := opts.config()
	start := time.Now()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.budget)
	defer cancel()
	if cfg.budgetEnd != nil {
		goroutine.Go("autoconfig: budget", cfg.logf, func() {
			select {
			case <-cfg.budgetEnd:
				cancel()
			case <-ctx.Done():
			}
		})
	}
	d := &discovery{cfg: cfg, email: email, domain: domain}

	msgs := make(chan any, 64)
	send := func(v any) {
		select {
		case msgs <- v:
		case <-ctx.Done():
		}
	}
	r := newRanking(email, domain, cfg.budget, progress)
	launch := func(owns []Source, fn func(emit func(*finding))) {
		r.expect(owns...)
		goroutine.GoErr(fmt.Sprintf("autoconfig: source %v", owns), cfg.logf, func() error {
			fn(func(f *finding) { send(f) })
			return nil
		}, func(err error) {
			if err != nil { // a panic
				send(sourcesFailed{owns, err})
			}
		})
	}
	one := func(fn func(context.Context) *finding) func(func(*finding)) {
		return func(emit func(*finding)) { emit(fn(ctx)) }
	}
	launch([]Source{SourceProvider}, one(d.provider))
	launch([]Source{SourceAutoconfig, SourceAutoconfigHTTP}, func(emit func(*finding)) { d.autoconfig(ctx, emit) })
	launch([]Source{SourceISPDB}, one(d.ispdb))
	launch([]Source{SourceSRV}, one(d.srv))
	launch([]Source{SourceMX}, one(d.mx))
	launch([]Source{SourceGuess}, one(d.guess))

	sem := make(chan struct{}, maxConcurrentProbes)
	probe := func(req probeRequest) {
		pd := probeDone{idx: req.idx}
		goroutine.GoErr("autoconfig: probe of "+req.ep.Addr(), cfg.logf, func() error {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { <-sem }()
			var err error
			if req.protocol == ProtocolIMAP {
				pd.ev, err = cfg.probeIMAP(ctx, req.ep)
			} else {
				pd.ev, err = cfg.probeSMTP(ctx, req.ep)
			}
			return err
		}, func(err error) {
			pd.err = err
			send(pd)
		})
	}

loop:
	for !r.done() {
		select {
		case m := <-msgs:
			switch m := m.(type) {
			case *finding:
				for _, req := range r.addFinding(m) {
					probe(req)
				}
			case probeDone:
				r.addProbe(m)
			case sourcesFailed:
				r.sourcesFailed(m.sources, m.err)
			}
		case <-ctx.Done():
			break loop
		}
	}
	cancel()

	res, err := r.decide()
	matchOAuth(res)
	res.Elapsed = time.Since(start)
	if parent.Err() != nil {
		return res, parent.Err()
	}
	return res, err
}
