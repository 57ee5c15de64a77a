package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	pending := map[Source]bool{}
	launch := func(owns []Source, fn func(emit func(*finding))) {
		for _, s := range owns {
			pending[s] = true
		}
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
	probe := func(idx int, protocol string, ep accounts.Endpoint) {
		pd := probeDone{idx: idx}
		goroutine.GoErr("autoconfig: probe of "+ep.Addr(), cfg.logf, func() error {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { <-sem }()
			var err error
			if protocol == ProtocolIMAP {
				pd.ev, err = cfg.probeIMAP(ctx, ep)
			} else {
				pd.ev, err = cfg.probeSMTP(ctx, ep)
			}
			return err
		}, func(err error) {
			pd.err = err
			send(pd)
		})
	}

	res := &Result{Email: email}
	var cands []*Candidate
	byKey := map[string]int{}
	var finished []int
	probing := 0
	ownDomain := registrable(domain)

	addFinding := func(f *finding) {
		delete(pending, f.source)
		for _, n := range f.notes {
			res.Notes = append(res.Notes, n)
			progress(Event{Source: f.source, Message: n})
		}
		for i, p := range f.props {
			key := p.protocol + "|" + strings.ToLower(p.ep.Host) + "|" + fmt.Sprint(p.ep.Port) + "|" + string(p.ep.Security)
			if idx, ok := byKey[key]; ok {
				c := cands[idx]
				if p.source != c.Source && !slices.Contains(c.Also, p.source) {
					c.Also = append(c.Also, p.source)
					c.insecure = c.insecure && p.insecure // named by a second source: cross-checked
				}
				// A better source takes the lead, and so does any source
				// that names a server skipped so far (the skipping
				// source's claim did not hold); a skipping source never.
				revive := c.skipped && p.skip == ""
				if p.source.rank() < c.rank && p.skip == "" || revive {
					c.Also = slices.DeleteFunc(c.Also, func(s Source) bool { return s == p.source })
					c.Also = append(c.Also, c.Source)
					c.Source, c.Detail, c.rank, c.order = p.source, p.detail, p.source.rank(), i
					if p.ep.Username != "" {
						c.Endpoint.Username = p.ep.Username
					}
					c.Endpoint.Auth = p.ep.Auth
				}
				if revive {
					// Another source names it without the reason it was
					// skipped for: probe it after all.
					c.skipped, c.Err, c.pending = false, "", true
					probing++
					probe(idx, p.protocol, c.Endpoint)
				}
				continue
			}
			c := &Candidate{Source: p.source, Detail: p.detail, Protocol: p.protocol, Endpoint: p.ep,
				rank: p.source.rank(), order: i, insecure: p.insecure}
			if c.insecure && registrable(strings.ToLower(p.ep.Host)) == ownDomain {
				c.insecure = false
			}
			byKey[key] = len(cands)
			cands = append(cands, c)
			if p.skip != "" {
				c.Err, c.skipped = p.skip, true
				finished = append(finished, len(cands)-1)
				continue
			}
			c.pending = true
			probing++
			probe(len(cands)-1, p.protocol, p.ep)
		}
	}
	addProbe := func(pd probeDone) {
		c := cands[pd.idx]
		c.pending = false
		probing--
		finished = append(finished, pd.idx)
		ev := pd.ev
		c.Evidence = &ev
		if pd.err == nil {
			c.OK = true
		} else {
			c.Err, c.err = pd.err.Error(), pd.err
			c.Unreachable = unreachable(pd.err)
		}
		cp := *c
		cp.Also = slices.Clone(c.Also)
		msg := fmt.Sprintf("%s %s (%s): ok", c.Protocol, c.Endpoint.String(), c.Source)
		if !c.OK {
			msg = fmt.Sprintf("%s %s (%s): %s", c.Protocol, c.Endpoint.String(), c.Source, c.Err)
		}
		progress(Event{Source: c.Source, Message: msg, Candidate: &cp})
	}
	// done reports whether nothing still running could change the winners.
	done := func() bool {
		if len(pending) == 0 && probing == 0 {
			return true
		}
		for _, protocol := range []string{ProtocolIMAP, ProtocolSMTP} {
			b := best(cands, protocol, func(c *Candidate) bool { return c.OK && !c.insecure })
			if b == nil {
				return false
			}
			for s := range pending {
				if s.rank() < b.rank || b.Endpoint.Security == accounts.SecurityNone {
					return false
				}
			}
			for _, c := range cands {
				if c.pending && c.Protocol == protocol && less(c, b) {
					return false
				}
			}
		}
		return true
	}

loop:
	for !done() {
		select {
		case m := <-msgs:
			switch m := m.(type) {
			case *finding:
				addFinding(m)
			case probeDone:
				addProbe(m)
			case sourcesFailed:
				for _, s := range m.sources {
					delete(pending, s)
					n := fmt.Sprintf("%s: %v", s, m.err)
					res.Notes = append(res.Notes, n)
					progress(Event{Source: s, Message: n})
				}
			}
		case <-ctx.Done():
			break loop
		}
	}
	cancel()

	for s := range pending {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: no answer within the %v budget", s, cfg.budget))
	}
	for i, c := range cands {
		if c.pending {
			c.pending = false
			c.Err = fmt.Sprintf("not finished within the %v budget", cfg.budget)
			// No answer at all, as far as discovery can tell: as good as
			// unreachable (a resolver that drops queries while offline).
			c.err = &ConnectError{Protocol: upper(c.Protocol), Addr: c.Endpoint.Addr(), Err: errTimeout}
			c.Unreachable = true
			finished = append(finished, i)
		}
		if c.OK && c.insecure {
			c.OK = false
			c.Err = "works, but was found only over plain HTTP, lies outside " + ownDomain + " and no other source names it: not used"
		}
	}
	res.Candidates = make([]Candidate, 0, len(cands))
	pos := make(map[int]int, len(cands))
	for _, i := range finished {
		if _, ok := pos[i]; ok {
			continue
		}
		pos[i] = len(res.Candidates)
		res.Candidates = append(res.Candidates, *cands[i])
	}

	var missing []string
	var certErr error
	sources := []string{}
	for _, protocol := range []string{ProtocolIMAP, ProtocolSMTP} {
		b := best(cands, protocol, func(c *Candidate) bool { return c.OK })
		if b == nil {
			b = best(cands, protocol, func(c *Candidate) bool {
				var ce *accounts.CertError
				return !c.insecure && errors.As(c.err, &ce)
			})
			if b != nil && certErr == nil {
				var ce *accounts.CertError
				errors.As(b.err, &ce)
				certErr = ce
			}
		}
		unchecked := false
		if b == nil {
			// A server that an authority names (the provider table, the
			// domain's own configuration) but that cannot be reached
			// now is the settings to use, unverified, rather than none.
			b = best(cands, protocol, func(c *Candidate) bool { return c.Unreachable && !c.insecure && c.Source.vouches() })
			unchecked = b != nil
		}
		if b == nil {
			missing = append(missing, upper(protocol))
			continue
		}
		w := &res.Candidates[pos[slices.Index(cands, b)]]
		if protocol == ProtocolIMAP {
			res.IMAP, res.IMAPCandidate = w.Endpoint, w
		} else {
			res.SMTP, res.SMTPCandidate = w.Endpoint, w
		}
		if !slices.Contains(sources, string(w.Source)) {
			sources = append(sources, string(w.Source))
		}
		if unchecked {
			res.Unverified = append(res.Unverified, Unverified{Protocol: protocol, Endpoint: w.Endpoint, Source: w.Source, Reason: unreachableReason(w)})
		}
	}
	res.Source = strings.Join(sources, "+")
	res.Elapsed = time.Since(start)
	switch {
	case parent.Err() != nil:
		return res, parent.Err()
	case len(missing) > 0:
		return res, &NotFoundError{Email: email, Protocols: missing, Tried: len(cands)}
	case certErr != nil:
		return res, certErr
	case len(res.Unverified) > 0:
		return res, &UnverifiedError{Email: email, Servers: slices.Clone(res.Unverified)}
	}
	return res, nil
}

// less orders candidates of one protocol: a secured connection first, then
// the source's precedence, then the order within the source.
func less(a, b *Candidate) bool {
	an, bn := a.Endpoint.Security == accounts.SecurityNone, b.Endpoint.Security == accounts.SecurityNone
	if an != bn {
		return bn
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.order < b.order
}

// best returns the best candidate of protocol that ok accepts, or nil.
func best(cands []*Candidate, protocol string, ok func(*Candidate) bool) *Candidate {
	var b *Candidate
	for _, c := range cands {
		if c.Protocol == protocol && !c.pending && ok(c) && (b == nil || less(c, b)) {
			b = c
		}
	}
	return b
}
