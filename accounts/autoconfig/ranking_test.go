package autoconfig

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
)

// The ranking's tests feed it findings and probe results by hand: no
// goroutine, no network.

func prop(source Source, protocol, host string, port int, sec accounts.Security) proposal {
	return proposal{source: source, detail: string(source) + " detail", protocol: protocol,
		ep: accounts.Endpoint{Host: host, Port: port, Security: sec}}
}

func newTestRanking(t *testing.T, sources ...Source) (*ranking, *[]Event) {
	t.Helper()
	var events []Event
	r := newRanking("ann@example.com", "example.com", 10*time.Second, func(ev Event) { events = append(events, ev) })
	r.expect(sources...)
	return r, &events
}

func wantProbes(t *testing.T, got []probeRequest, hosts ...string) {
	t.Helper()
	var names []string
	for _, p := range got {
		names = append(names, p.ep.Host)
	}
	if strings.Join(names, ",") != strings.Join(hosts, ",") {
		t.Fatalf("probes %v, want %v", names, hosts)
	}
}

func TestRankingProbesEachServerOnce(t *testing.T) {
	r, events := newTestRanking(t, SourceISPDB, SourceGuess)
	f := &finding{source: SourceGuess, notes: []string{"guess: tried"}, props: []proposal{
		prop(SourceGuess, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS),
		prop(SourceGuess, ProtocolSMTP, "smtp.example.com", 465, accounts.SecurityTLS),
	}}
	wantProbes(t, r.addFinding(f), "imap.example.com", "smtp.example.com")
	if len(*events) != 1 || (*events)[0].Message != "guess: tried" {
		t.Fatalf("events %+v, want the note", *events)
	}
	// The ISPDB names the same IMAP server (host in another case): no second
	// probe, and the better source takes the lead.
	isp := prop(SourceISPDB, ProtocolIMAP, "IMAP.example.com", 993, accounts.SecurityTLS)
	isp.ep.Username = "ann"
	wantProbes(t, r.addFinding(&finding{source: SourceISPDB, props: []proposal{isp}}))
	c := r.cands[0]
	if c.Source != SourceISPDB || len(c.Also) != 1 || c.Also[0] != SourceGuess || c.Endpoint.Username != "ann" {
		t.Fatalf("candidate %+v, want led by the ISPDB, also guessed, with its username", c)
	}
	if r.done() {
		t.Fatal("done with two probes running")
	}
}

func TestRankingDone(t *testing.T) {
	r, _ := newTestRanking(t, SourceProvider, SourceAutoconfig, SourceGuess)
	r.addFinding(&finding{source: SourceAutoconfig, props: []proposal{
		prop(SourceAutoconfig, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS),
		prop(SourceAutoconfig, ProtocolSMTP, "smtp.example.com", 465, accounts.SecurityTLS),
	}})
	r.addProbe(probeDone{idx: 0})
	r.addProbe(probeDone{idx: 1})
	if r.done() {
		t.Fatal("done while the provider table, which outranks the winners, runs")
	}
	r.sourcesFailed([]Source{SourceProvider}, errors.New("internal error: boom"))
	if !r.done() {
		t.Fatal("not done: only the guess runs, which cannot beat the winners")
	}
	res, err := r.decide()
	if err != nil {
		t.Fatal(err)
	}
	if res.IMAP.Host != "imap.example.com" || res.SMTP.Host != "smtp.example.com" || res.Source != "autoconfig" {
		t.Errorf("result %+v", res)
	}
	want := []string{"provider: internal error: boom", "guess: no answer within the 10s budget"}
	if strings.Join(res.Notes, "|") != strings.Join(want, "|") {
		t.Errorf("notes %q, want %q", res.Notes, want)
	}
	if len(res.Candidates) != 2 || res.IMAPCandidate != &res.Candidates[0] || res.SMTPCandidate != &res.Candidates[1] {
		t.Errorf("candidates %+v", res.Candidates)
	}
}

func TestRankingPlainWaitsForBetter(t *testing.T) {
	// Plain HTTP ranks below a guess, but might name a secured server.
	r, _ := newTestRanking(t, SourceGuess, SourceAutoconfigHTTP)
	r.addFinding(&finding{source: SourceGuess, props: []proposal{
		prop(SourceGuess, ProtocolIMAP, "mail.example.com", 143, accounts.SecurityNone),
		prop(SourceGuess, ProtocolSMTP, "mail.example.com", 587, accounts.SecurityNone),
	}})
	r.addProbe(probeDone{idx: 0})
	r.addProbe(probeDone{idx: 1})
	if r.done() {
		t.Fatal("done with plain-text winners while a source runs")
	}
	r.addFinding(&finding{source: SourceAutoconfigHTTP})
	if !r.done() {
		t.Fatal("not done with nothing running")
	}
}

func TestRankingSkippedRevived(t *testing.T) {
	r, _ := newTestRanking(t, SourceSRV, SourceMX)
	skipped := prop(SourceSRV, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS)
	skipped.skip = "does not resolve"
	wantProbes(t, r.addFinding(&finding{source: SourceSRV, props: []proposal{skipped}}))
	if c := r.cands[0]; !c.skipped || c.Err != "does not resolve" || len(r.finished) != 1 {
		t.Fatalf("candidate %+v, want skipped and finished", c)
	}
	wantProbes(t, r.addFinding(&finding{source: SourceMX, props: []proposal{prop(SourceMX, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS)}}), "imap.example.com")
	if c := r.cands[0]; c.skipped || c.Err != "" || !c.pending || c.Source != SourceMX {
		t.Fatalf("candidate %+v, want revived and led by MX", c)
	}
}

func TestRankingBudgetEnds(t *testing.T) {
	r, _ := newTestRanking(t, SourceProvider)
	r.addFinding(&finding{source: SourceProvider, props: []proposal{
		prop(SourceProvider, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS),
		prop(SourceProvider, ProtocolSMTP, "smtp.example.com", 465, accounts.SecurityTLS),
	}})
	r.addProbe(probeDone{idx: 1})
	// The IMAP probe never answers: the provider table vouches for the
	// server, so it wins unverified.
	res, err := r.decide()
	var ue *UnverifiedError
	if !errors.As(err, &ue) || len(res.Unverified) != 1 || res.Unverified[0].Protocol != ProtocolIMAP {
		t.Fatalf("err %v, unverified %+v, want the IMAP server unverified", err, res.Unverified)
	}
	c := res.IMAPCandidate
	if c == nil || !c.Unreachable || c.Err != "not finished within the 10s budget" || c.pending {
		t.Fatalf("IMAP candidate %+v", c)
	}
}

func TestRankingNotFound(t *testing.T) {
	r, _ := newTestRanking(t, SourceGuess)
	r.addFinding(&finding{source: SourceGuess, props: []proposal{prop(SourceGuess, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS)}})
	r.addProbe(probeDone{idx: 0})
	res, err := r.decide()
	var nf *NotFoundError
	if !errors.As(err, &nf) || strings.Join(nf.Protocols, ",") != "SMTP" || nf.Tried != 1 {
		t.Fatalf("err %#v, want SMTP not found", err)
	}
	if res.IMAP.Host != "imap.example.com" {
		t.Errorf("IMAP %+v", res.IMAP)
	}
}

func TestRankingCertError(t *testing.T) {
	r, events := newTestRanking(t, SourceAutoconfig)
	r.addFinding(&finding{source: SourceAutoconfig, props: []proposal{
		prop(SourceAutoconfig, ProtocolIMAP, "imap.example.com", 993, accounts.SecurityTLS),
		prop(SourceAutoconfig, ProtocolSMTP, "smtp.example.com", 465, accounts.SecurityTLS),
	}})
	ce := &accounts.CertError{Host: "imap.example.com", Port: 993, Reason: "self-signed"}
	r.addProbe(probeDone{idx: 0, err: ce})
	r.addProbe(probeDone{idx: 1})
	last := (*events)[len(*events)-1]
	if last.Candidate == nil || !last.Candidate.OK || !strings.HasSuffix(last.Message, ": ok") {
		t.Errorf("last event %+v, want the SMTP probe's", last)
	}
	res, err := r.decide()
	var got *accounts.CertError
	if !errors.As(err, &got) || got != ce {
		t.Fatalf("err %v, want the certificate error", err)
	}
	if res.IMAP.Host != "imap.example.com" || res.IMAPCandidate.OK {
		t.Errorf("IMAP %+v", res.IMAPCandidate)
	}
}

func TestRankingInsecure(t *testing.T) {
	r, _ := newTestRanking(t, SourceAutoconfigHTTP)
	outside := prop(SourceAutoconfigHTTP, ProtocolIMAP, "imap.elsewhere.test", 993, accounts.SecurityTLS)
	outside.insecure = true
	inside := prop(SourceAutoconfigHTTP, ProtocolSMTP, "smtp.example.com", 465, accounts.SecurityTLS)
	inside.insecure = true
	r.addFinding(&finding{source: SourceAutoconfigHTTP, props: []proposal{outside, inside}})
	r.addProbe(probeDone{idx: 0})
	r.addProbe(probeDone{idx: 1})
	res, err := r.decide()
	var nf *NotFoundError
	if !errors.As(err, &nf) || strings.Join(nf.Protocols, ",") != "IMAP" {
		t.Fatalf("err %v, want IMAP not found: a server outside the domain, only over plain HTTP", err)
	}
	if c := res.Candidates[0]; c.OK || !strings.Contains(c.Err, "only over plain HTTP") {
		t.Errorf("outside candidate %+v", c)
	}
	if res.SMTP.Host != "smtp.example.com" {
		t.Errorf("SMTP %+v, want the server inside the domain", res.SMTP)
	}
}
