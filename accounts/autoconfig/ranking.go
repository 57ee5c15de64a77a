package autoconfig

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ternmail/tern/accounts"
)

// probeRequest asks for the probe of one candidate, by its index.
type probeRequest struct {
	idx      int
	protocol string
	ep       accounts.Endpoint
}

// ranking is what discovery has learnt so far: the candidates the sources
// named, the probes' results, and the sources and probes still running. It
// decides when nothing still running could change the winners (done) and
// who they are (decide). It starts nothing: addFinding returns the probes
// to start, and Discover's loop, which owns the ranking, feeds it their
// results.
type ranking struct {
	email     string
	ownDomain string // the registrable domain of the address
	budget    time.Duration
	progress  func(Event)

	notes    []string
	cands    []*Candidate
	byKey    map[string]int // index in cands by protocol, host, port and security
	finished []int          // indexes in cands, in the order they finished
	pending  map[Source]bool
	probing  int
}

// newRanking returns an empty ranking for email, at domain, that reports
// each note and finished probe to progress, and explains a timeout with
// budget.
func newRanking(email, domain string, budget time.Duration, progress func(Event)) *ranking {
	return &ranking{email: email, ownDomain: registrable(domain), budget: budget, progress: progress,
		byKey: map[string]int{}, pending: map[Source]bool{}}
}

// expect records sources as running: done waits for them while their
// answer could change the winners.
func (r *ranking) expect(sources ...Source) {
	for _, s := range sources {
		r.pending[s] = true
	}
}

// addFinding adds what source f.source found, which is then no longer
// pending, and returns the probes to start: the servers new to the
// ranking, and those skipped so far that f names without a reason to skip.
func (r *ranking) addFinding(f *finding) []probeRequest {
	var probes []probeRequest
	delete(r.pending, f.source)
	for _, n := range f.notes {
		r.notes = append(r.notes, n)
		r.progress(Event{Source: f.source, Message: n})
	}
	for i, p := range f.props {
		key := p.protocol + "|" + strings.ToLower(p.ep.Host) + "|" + fmt.Sprint(p.ep.Port) + "|" + string(p.ep.Security)
		if idx, ok := r.byKey[key]; ok {
			c := r.cands[idx]
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
				r.probing++
				probes = append(probes, probeRequest{idx, p.protocol, c.Endpoint})
			}
			continue
		}
		c := &Candidate{Source: p.source, Detail: p.detail, Protocol: p.protocol, Endpoint: p.ep,
			rank: p.source.rank(), order: i, insecure: p.insecure}
		if c.insecure && registrable(strings.ToLower(p.ep.Host)) == r.ownDomain {
			c.insecure = false
		}
		r.byKey[key] = len(r.cands)
		r.cands = append(r.cands, c)
		if p.skip != "" {
			c.Err, c.skipped = p.skip, true
			r.finished = append(r.finished, len(r.cands)-1)
			continue
		}
		c.pending = true
		r.probing++
		probes = append(probes, probeRequest{len(r.cands) - 1, p.protocol, p.ep})
	}
	return probes
}

// addProbe records the result of a probe that addFinding asked for.
func (r *ranking) addProbe(pd probeDone) {
	c := r.cands[pd.idx]
	c.pending = false
	r.probing--
	r.finished = append(r.finished, pd.idx)
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
	r.progress(Event{Source: c.Source, Message: msg, Candidate: &cp})
}

// sourcesFailed records that sources ended without a finding, for err.
func (r *ranking) sourcesFailed(sources []Source, err error) {
	for _, s := range sources {
		delete(r.pending, s)
		n := fmt.Sprintf("%s: %v", s, err)
		r.notes = append(r.notes, n)
		r.progress(Event{Source: s, Message: n})
	}
}

// done reports whether nothing still running could change the winners.
func (r *ranking) done() bool {
	if len(r.pending) == 0 && r.probing == 0 {
		return true
	}
	for _, protocol := range []string{ProtocolIMAP, ProtocolSMTP} {
		b := best(r.cands, protocol, func(c *Candidate) bool { return c.OK && !c.insecure })
		if b == nil {
			return false
		}
		for s := range r.pending {
			if s.rank() < b.rank || b.Endpoint.Security == accounts.SecurityNone {
				return false
			}
		}
		for _, c := range r.cands {
			if c.pending && c.Protocol == protocol && less(c, b) {
				return false
			}
		}
	}
	return true
}

// decide ends the ranking: what still runs counts as not answered within
// the budget. It returns the result, with an error as Discover documents
// (but for ctx's, which is Discover's to add): a *NotFoundError, the
// *accounts.CertError or an *UnverifiedError. The result's Elapsed is left
// to the caller.
func (r *ranking) decide() (*Result, error) {
	res := &Result{Email: r.email, Notes: r.notes}
	for s := range r.pending {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: no answer within the %v budget", s, r.budget))
	}
	for i, c := range r.cands {
		if c.pending {
			c.pending = false
			c.Err = fmt.Sprintf("not finished within the %v budget", r.budget)
			// No answer at all, as far as discovery can tell: as good as
			// unreachable (a resolver that drops queries while offline).
			c.err = &accounts.ConnectError{Protocol: upper(c.Protocol), Addr: c.Endpoint.Addr(), Err: errTimeout}
			c.Unreachable = true
			r.finished = append(r.finished, i)
		}
		if c.OK && c.insecure {
			c.OK = false
			c.Err = "works, but was found only over plain HTTP, lies outside " + r.ownDomain + " and no other source names it: not used"
		}
	}
	res.Candidates = make([]Candidate, 0, len(r.cands))
	pos := make(map[int]int, len(r.cands))
	for _, i := range r.finished {
		if _, ok := pos[i]; ok {
			continue
		}
		pos[i] = len(res.Candidates)
		res.Candidates = append(res.Candidates, *r.cands[i])
	}

	var missing []string
	var certErr error
	sources := []string{}
	for _, protocol := range []string{ProtocolIMAP, ProtocolSMTP} {
		b := best(r.cands, protocol, func(c *Candidate) bool { return c.OK })
		if b == nil {
			b = best(r.cands, protocol, func(c *Candidate) bool {
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
			b = best(r.cands, protocol, func(c *Candidate) bool { return c.Unreachable && !c.insecure && c.Source.vouches() })
			unchecked = b != nil
		}
		if b == nil {
			missing = append(missing, upper(protocol))
			continue
		}
		w := &res.Candidates[pos[slices.Index(r.cands, b)]]
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
	switch {
	case len(missing) > 0:
		return res, &NotFoundError{Email: r.email, Protocols: missing, Tried: len(r.cands)}
	case certErr != nil:
		return res, certErr
	case len(res.Unverified) > 0:
		return res, &UnverifiedError{Email: r.email, Servers: slices.Clone(res.Unverified)}
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
