package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
)

// ispdbURL is the base of the Thunderbird ISPDB.
const ispdbURL = "https://autoconfig.thunderbird.net/v1.1/"

// proposal is one server a source names.
type proposal struct {
	source   Source
	detail   string
	protocol string
	ep       accounts.Endpoint
	insecure bool
	// skip, when set, records the server as tried and failed without
	// probing it (e.g. its host does not resolve).
	skip string
}

// finding is what one source reports: servers and notes.
type finding struct {
	source Source
	props  []proposal
	notes  []string
}

func (f *finding) note(format string, args ...any) {
	f.notes = append(f.notes, fmt.Sprintf(string(f.source)+": "+format, args...))
}

// addConfig adds the IMAP and SMTP servers of cc.
func (f *finding) addConfig(cc *ClientConfig, email, detail string, insecure bool) int {
	n := 0
	add := func(protocol string, list []ServerConfig) {
		for _, s := range list {
			if s.Type != protocol {
				continue
			}
			ep, err := s.Endpoint(email)
			if err == nil && insecure && ep.Security == accounts.SecurityNone {
				err = errors.New("socketType plain from a document fetched over plain HTTP is never used")
			}
			if err != nil {
				f.note("%s: skipping %s server %s:%d: %v", detail, protocol, s.Hostname, s.Port, err)
				continue
			}
			d := detail
			if s.EncryptedOnly() {
				// Said, not hidden: the config asked for a mechanism
				// Tern does not speak (the probe checks PLAIN or LOGIN).
				f.note("%s: the %s server %s:%d wants password-encrypted (CRAM-MD5) sign-in, which Tern does not speak; it signs in with PLAIN or LOGIN inside TLS instead, if the server offers them",
					detail, protocol, ep.Host, ep.Port)
				d += " (asks for password-encrypted sign-in; Tern uses PLAIN or LOGIN inside TLS)"
			}
			f.props = append(f.props, proposal{source: f.source, detail: d, protocol: protocol, ep: ep, insecure: insecure})
			n++
		}
	}
	add(ProtocolIMAP, cc.Incoming)
	add(ProtocolSMTP, cc.Outgoing)
	return n
}

// addProvider adds the servers of the provider table entry p.
func (f *finding) addProvider(p provider, email, detail string) {
	for _, protocol := range []string{ProtocolIMAP, ProtocolSMTP} {
		for _, ep := range p.endpoints(protocol, email) {
			f.props = append(f.props, proposal{source: f.source, detail: detail, protocol: protocol, ep: ep})
		}
	}
}

// discovery is the state shared by the sources of one Discover call.
type discovery struct {
	cfg           *config
	email, domain string
}

// fetch downloads a config-v1.1.xml document.
func (d *discovery) fetch(ctx context.Context, u string) (*ClientConfig, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	resp, err := d.cfg.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, errors.New(accounts.Explain(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, errors.New(accounts.Explain(err))
	}
	if len(data) > maxDocument {
		return nil, errors.New("document too large")
	}
	return ParseConfig(data)
}

// fetchFirst fetches urls in parallel and returns the first document, in
// the order of urls, that parsed.
func (d *discovery) fetchFirst(ctx context.Context, f *finding, urls []string) (*ClientConfig, string) {
	type res struct {
		cc  *ClientConfig
		err error
	}
	results := make([]res, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		goroutine.GoErr("autoconfig: fetch", d.cfg.logf, func() error {
			var err error
			results[i].cc, err = d.fetch(ctx, u)
			return err
		}, func(err error) {
			results[i].err = err
			wg.Done()
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err == nil {
			return r.cc, urls[i]
		}
		f.note("%s: %v", urls[i], r.err)
	}
	return nil, ""
}

func autoconfigURLs(scheme, domain, email string) []string {
	first := scheme + "://autoconfig." + domain + "/mail/config-v1.1.xml"
	if email != "" {
		first += "?emailaddress=" + url.QueryEscape(email)
	}
	return []string{first, scheme + "://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml"}
}

// provider looks the domain up in the built-in table.
func (d *discovery) provider(ctx context.Context) *finding {
	f := &finding{source: SourceProvider}
	if p, ok := lookupProvider(d.domain, false); ok {
		f.addProvider(p, d.email, p.name)
		f.note("%s is %s", d.domain, p.name)
	}
	return f
}

// autoconfig fetches the domain's own configuration over HTTPS, and over
// plain HTTP when HTTPS gave nothing. It emits one finding for
// SourceAutoconfig, then one for SourceAutoconfigHTTP.
func (d *discovery) autoconfig(ctx context.Context, emit func(*finding)) {
	f := &finding{source: SourceAutoconfig}
	h := &finding{source: SourceAutoconfigHTTP}
	cc, u := d.fetchFirst(ctx, f, autoconfigURLs("https", d.domain, d.email))
	if cc != nil {
		f.note("%s: %d servers", u, f.addConfig(cc, d.email, u, false))
	}
	emit(f)
	if cc == nil && ctx.Err() == nil {
		if cc, u := d.fetchFirst(ctx, h, autoconfigURLs("http", d.domain, d.email)); cc != nil {
			h.note("%s: %d servers (plain HTTP: used only when cross-checked)", u, h.addConfig(cc, d.email, u, true))
		}
	}
	emit(h)
}

// ispdb fetches the Thunderbird ISPDB entry of the domain.
func (d *discovery) ispdb(ctx context.Context) *finding {
	f := &finding{source: SourceISPDB}
	u := ispdbURL + url.PathEscape(d.domain)
	if cc, err := d.fetch(ctx, u); err != nil {
		f.note("%s: %v", u, err)
	} else {
		f.note("%s: %d servers", u, f.addConfig(cc, d.email, u, false))
	}
	return f
}

// srvServices are the RFC 6186 / RFC 8314 services, implicit TLS first.
var srvServices = []struct {
	service, protocol string
	sec               accounts.Security
}{
	{"imaps", ProtocolIMAP, accounts.SecurityTLS},
	{"imap", ProtocolIMAP, accounts.SecuritySTARTTLS},
	{"submissions", ProtocolSMTP, accounts.SecurityTLS},
	{"submission", ProtocolSMTP, accounts.SecuritySTARTTLS},
}

// srv looks up the SRV records of the domain.
func (d *discovery) srv(ctx context.Context) *finding {
	f := &finding{source: SourceSRV}
	type res struct {
		recs []*net.SRV
		err  error
	}
	results := make([]res, len(srvServices))
	var wg sync.WaitGroup
	for i, s := range srvServices {
		wg.Add(1)
		goroutine.GoErr("autoconfig: srv", d.cfg.logf, func() error {
			var err error
			_, results[i].recs, err = d.cfg.resolver.LookupSRV(ctx, s.service, "tcp", d.domain)
			return err
		}, func(err error) {
			results[i].err = err
			wg.Done()
		})
	}
	wg.Wait()
	for i, s := range srvServices {
		name := "_" + s.service + "._tcp." + d.domain
		r := results[i]
		if r.err != nil {
			f.note("%s: %s", name, dnsReason(r.err))
			continue
		}
		recs := slices.Clone(r.recs)
		// Priority first (lower is better), then weight (higher is
		// better); deterministic rather than RFC 2782's weighted random
		// choice, since every record is probed anyway.
		slices.SortStableFunc(recs, func(a, b *net.SRV) int {
			if a.Priority != b.Priority {
				return int(a.Priority) - int(b.Priority)
			}
			return int(b.Weight) - int(a.Weight)
		})
		for _, rec := range recs {
			target := strings.TrimSuffix(strings.ToLower(rec.Target), ".")
			if target == "" {
				f.note("%s: \".\": not offered", name)
				continue
			}
			ep := accounts.Endpoint{Host: target, Port: int(rec.Port), Security: s.sec, Auth: accounts.AuthPlain}
			if err := ep.Validate(); err != nil {
				f.note("%s: %v", name, err)
				continue
			}
			f.note("%s → %s (priority %d, weight %d)", name, ep.Addr(), rec.Priority, rec.Weight)
			f.props = append(f.props, proposal{source: f.source, detail: name, protocol: s.protocol, ep: ep})
		}
	}
	return f
}

// mx finds the provider hosting the domain from its MX records.
func (d *discovery) mx(ctx context.Context) *finding {
	f := &finding{source: SourceMX}
	mxs, err := d.cfg.resolver.LookupMX(ctx, d.domain)
	if err != nil {
		f.note("MX %s: %s", d.domain, dnsReason(err))
		return f
	}
	var best *net.MX
	for _, m := range mxs {
		if strings.TrimSuffix(m.Host, ".") == "" {
			continue
		}
		if best == nil || m.Pref < best.Pref {
			best = m
		}
	}
	if best == nil {
		f.note("MX %s: none", d.domain)
		return f
	}
	host := strings.TrimSuffix(strings.ToLower(best.Host), ".")
	reg, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		f.note("MX %s → %s: %v", d.domain, host, err)
		return f
	}
	if reg == d.domain {
		f.note("MX %s → %s: the domain itself", d.domain, host)
		return f
	}
	detail := fmt.Sprintf("MX %s → %s → %s", d.domain, host, reg)
	if p, ok := lookupProvider(reg, true); ok {
		f.note("%s: %s", detail, p.name)
		f.addProvider(p, d.email, detail+" ("+p.name+")")
		return f
	}
	// The hosting provider's own autoconfig (without the user's address:
	// it is a third party) and its ISPDB entry.
	urls := append([]string{ispdbURL + url.PathEscape(reg)}, autoconfigURLs("https", reg, "")...)
	if cc, u := d.fetchFirst(ctx, f, urls); cc != nil {
		f.note("%s: %s: %d servers", detail, u, f.addConfig(cc, d.email, detail+" via "+u, false))
	}
	return f
}

// guessProposals are the guessed servers, implicit TLS first.
func guessProposals(domain string) []proposal {
	var out []proposal
	add := func(protocol string, prefixes []string, port int, sec accounts.Security) {
		for _, p := range prefixes {
			ep := accounts.Endpoint{Host: p + domain, Port: port, Security: sec, Auth: accounts.AuthPlain}
			out = append(out, proposal{source: SourceGuess, detail: "guess", protocol: protocol, ep: ep})
		}
	}
	imapHosts := []string{"imap.", "mail.", ""}
	smtpHosts := []string{"smtp.", "mail.", ""}
	add(ProtocolIMAP, imapHosts, 993, accounts.SecurityTLS)
	add(ProtocolIMAP, imapHosts, 143, accounts.SecuritySTARTTLS)
	add(ProtocolSMTP, smtpHosts, 465, accounts.SecurityTLS)
	add(ProtocolSMTP, smtpHosts, 587, accounts.SecuritySTARTTLS)
	// Port 25 last: mostly servers taking mail from other servers, but
	// some providers accept submission there. The probe insists on
	// STARTTLS and then AUTH, so a relay-only server is never chosen.
	add(ProtocolSMTP, smtpHosts, 25, accounts.SecuritySTARTTLS)
	return out
}

// guess proposes the usual host names that resolve.
func (d *discovery) guess(ctx context.Context) *finding {
	f := &finding{source: SourceGuess}
	props := guessProposals(d.domain)
	var hosts []string
	for _, p := range props {
		if !slices.Contains(hosts, p.ep.Host) {
			hosts = append(hosts, p.ep.Host)
		}
	}
	resolved := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		goroutine.GoErr("autoconfig: lookup", d.cfg.logf, func() error {
			_, err := d.cfg.resolver.LookupHost(ctx, h)
			return err
		}, func(err error) {
			resolved[i] = err
			wg.Done()
		})
	}
	wg.Wait()
	for i := range props {
		if err := resolved[slices.Index(hosts, props[i].ep.Host)]; err != nil {
			props[i].skip = dnsReason(err)
		}
	}
	for i, h := range hosts {
		if resolved[i] != nil {
			f.note("%s: %s", h, dnsReason(resolved[i]))
		}
	}
	f.props = props
	return f
}

func dnsReason(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		switch {
		case de.IsNotFound:
			return "no such name"
		case de.IsTimeout:
			return "DNS timed out"
		}
		return "DNS error: " + de.Err
	}
	return accounts.Explain(err)
}

// registrable returns the registrable domain of host, or host itself.
func registrable(host string) string {
	if r, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return r
	}
	return host
}
