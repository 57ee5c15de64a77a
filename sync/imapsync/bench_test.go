package imapsync

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// BenchmarkSyncDovecot is the sync engine's report card against a real
// Dovecot holding TERN_BENCH_MESSAGES messages (default 100,000): the wire
// floor of a bare client, Tern's initial header sync, full offline sync,
// a no-change resync, a resync after 1% of flags changed, new-mail latency
// through Postfix, and peak memory. Run it with
//
//	make bench    (or: go test -run '^$' -bench SyncDovecot -benchtime 1x ./sync/imapsync)
//
// Each figure is printed with its floor (a bare client doing the least
// wire work that learns the same, measured in the same run), its ratio to
// that floor and the target; each is also reported as a metric.
func BenchmarkSyncDovecot(b *testing.B) {
	n := 100_000
	if s := os.Getenv("TERN_BENCH_MESSAGES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	user := mailtest.RealUser{Name: "bench@example.test", Password: "bench-pw"}
	real := mailtest.RealForTest(b, user)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(real.CertPEM)

	start := time.Now()
	bytesTotal := seedMaildir(b, real, user, n)
	b.Logf("generated %d messages (%.0f MB) in %v", n, float64(bytesTotal)/1e6, time.Since(start).Round(time.Millisecond))

	headerItems := "(UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (REFERENCES)])"
	bodyItems := "(UID BODY.PEEK[])"
	// Warm Dovecot's index and cache and the page cache, so that the floor
	// and Tern read the same warm server.
	bareFetch(b, real, user, roots, headerItems)
	bareFetch(b, real, user, roots, bodyItems)
	u0 := usageNow()
	floorHeaders := bareFetch(b, real, user, roots, headerItems)
	u1 := usageNow()
	floorBodies := bareFetch(b, real, user, roots, bodyItems)
	u2 := usageNow()
	floorHeadersCPU, floorBodiesCPU := u1.since(u0), u2.since(u1)

	host, portStr, _ := net.SplitHostPort(real.IMAPSAddr)
	port, _ := strconv.Atoi(portStr)
	acct := accounts.Account{ID: "bench", Email: user.Name,
		IMAP: accounts.Endpoint{Host: host, Port: port, Security: accounts.SecurityTLS, Username: user.Name}}
	st, err := store.Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	opts := &Options{Password: func(context.Context) (string, error) { return user.Password, nil }, Roots: roots,
		BodiesPerPass: -1, CommandTimeout: 5 * time.Minute, BatchSize: 1000}
	ctx := context.Background()

	resetPeakRSS()
	b.ResetTimer()
	e := New(st, acct, opts)
	t0 := time.Now()
	u0 = usageNow()
	if _, err := e.SyncOnce(ctx); err != nil {
		b.Fatal(err)
	}
	headers := time.Since(t0)
	headersCPU := usageNow().since(u0)
	headerRSS := peakRSS()

	resetPeakRSS()
	bodyOpts := *opts
	bodyOpts.BodiesPerPass = 1000
	t0 = time.Now()
	u0 = usageNow()
	if _, err := New(st, acct, &bodyOpts).SyncOnce(ctx); err != nil {
		b.Fatal(err)
	}
	bodies := time.Since(t0)
	bodiesCPU := usageNow().since(u0)
	bodyRSS := peakRSS()

	// Resyncs as a running client does them: on its open connection, with
	// INBOX selected as the worker leaves it between passes (park). Their
	// floor is a bare client on an open connection with INBOX selected,
	// sending the fewest commands that learn the same: one LIST-STATUS when
	// nothing changed; NOOP, that and UID FETCH FLAGS CHANGEDSINCE after 1%
	// changed.
	cn, err := e.connect(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer cn.close()
	if _, err := e.park(ctx, cn); err != nil {
		b.Fatal(err)
	}
	bare := dialBare(b, real, user, roots)
	listStatus := `LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ))`
	bareCommand(b, bare, "w", listStatus) // warm
	bareCommand(b, bare, "v", "SELECT INBOX (CONDSTORE)")
	// A running client resyncs again and again: the median of several
	// passes is the figure, the first one after the body sync (which also
	// pays the store's checkpoint of that sync's writes) is noted beside it.
	const resyncs = 5
	var floors, passes []time.Duration
	for i := 0; i < resyncs; i++ {
		t0 = time.Now()
		bareCommand(b, bare, fmt.Sprintf("x%d", i), listStatus)
		floors = append(floors, time.Since(t0))
		t0 = time.Now()
		if _, err := e.pass(ctx, cn, true); err != nil {
			b.Fatal(err)
		}
		passes = append(passes, time.Since(t0))
	}
	firstNoChange := passes[0]
	floorNoChange, noChange := median(floors), median(passes)

	modseq := bareModSeq(b, bare, "INBOX")
	changeFlags(b, real, user, roots, n/100)
	t0 = time.Now()
	bareCommand(b, bare, "y1", "NOOP")
	bareCommand(b, bare, "y2", listStatus)
	bareCommand(b, bare, "y3", fmt.Sprintf("UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE %d)", modseq))
	floorFlags := time.Since(t0)
	bareCommand(b, bare, "z", "LOGOUT")
	t0 = time.Now()
	rep, err := e.pass(ctx, cn, true)
	if err != nil {
		b.Fatal(err)
	}
	flagResync := time.Since(t0)
	updated := 0
	for _, f := range rep.Folders {
		updated += f.FlagUpdates
	}
	b.StopTimer()

	const probes = 20
	floorLatencies := bareNewMailLatency(b, real, user, roots, probes)
	latencies := newMailLatency(b, real, user, st, acct, opts, probes)
	latency, floorLatency := latencies[len(latencies)/2], floorLatencies[len(floorLatencies)/2]
	idle := idleAfterFlagChange(b, st, acct, opts)

	ms := func(d time.Duration) string {
		if d < 10*time.Millisecond {
			return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
		}
		return d.Round(time.Millisecond).String()
	}
	x := func(v, floor float64) string { return fmt.Sprintf("%.2f×", v/floor) }
	verdict := func(ok bool) string {
		if ok {
			return "meets"
		}
		return "MISSES"
	}
	fmt.Printf("\nTern sync benchmark: %d messages, %.0f MB, real Dovecot over loopback TLS\n", n, float64(bytesTotal)/1e6)
	fmt.Printf("  %-38s %10s %10s %8s   %-16s %s\n", "", "Tern", "floor", "×floor", "target", "")
	row := func(name string, tern, floor time.Duration, target string, ok bool, note string) {
		fmt.Printf("  %-38s %10s %10s %8s   %-16s %-6s %s\n", name, ms(tern), ms(floor), x(float64(tern), float64(floor)), target, verdict(ok), note)
	}
	row("initial header sync", headers, floorHeaders, "≤ 1.5× floor", float64(headers) <= 1.5*float64(floorHeaders),
		"CPU: Tern "+headersCPU.String()+"; floor "+floorHeadersCPU.String())
	row("full offline sync (bodies)", bodies, floorBodies, "≤ 1.5× floor", float64(bodies) <= 1.5*float64(floorBodies),
		"CPU: Tern "+bodiesCPU.String()+"; floor "+floorBodiesCPU.String())
	row(fmt.Sprintf("no-change resync, median of %d", resyncs), noChange, floorNoChange, "< 100ms", noChange < 100*time.Millisecond,
		fmt.Sprintf("first after the body sync %s; floor: one LIST-STATUS", ms(firstNoChange)))
	row("1% flags changed resync (connected)", flagResync, floorFlags, "< 300ms", flagResync < 300*time.Millisecond,
		fmt.Sprintf("%d flag updates; floor: NOOP, LIST-STATUS, FETCH CHANGEDSINCE", updated))
	row(fmt.Sprintf("new mail, median of %d", probes), latency, floorLatency, "< 1s", latency < time.Second,
		fmt.Sprintf("Postfix accept → row in store (max %s); floor: → EXISTS in a bare IDLE", ms(latencies[len(latencies)-1])))
	fmt.Printf("  %-38s %10s %10s %8s   %-16s %-6s %s\n", fmt.Sprintf("idle %v after one flag change", idle.watch), ms(idle.cpu.self), "", "",
		"0 passes, 0 B sent", verdict(idle.stats.Passes == 0 && idle.stats.BytesSent == 0),
		fmt.Sprintf("CPU; %d passes, %d B sent, %d B received; the change took %d passes, settled in %s", idle.stats.Passes,
			idle.stats.BytesSent, idle.stats.BytesRecv, idle.changePasses, ms(idle.settle)))
	const rssTarget = 200 << 20
	for _, r := range []struct {
		name string
		rss  int64
	}{{"peak RSS, header sync", headerRSS}, {"peak RSS, offline sync", bodyRSS}} {
		fmt.Printf("  %-38s %8d MB %10s %8s   %-16s %-6s %s\n", r.name, r.rss>>20, "", "", "< 200 MB", verdict(r.rss < rssTarget),
			fmt.Sprintf("%.2f× the target", float64(r.rss)/rssTarget))
	}
	b.ReportMetric(headers.Seconds(), "headers-s")
	b.ReportMetric(float64(headers)/float64(floorHeaders), "headers-x-floor")
	b.ReportMetric(bodies.Seconds(), "bodies-s")
	b.ReportMetric(float64(bodies)/float64(floorBodies), "bodies-x-floor")
	b.ReportMetric(float64(noChange.Microseconds())/1000, "nochange-ms")
	b.ReportMetric(float64(flagResync.Microseconds())/1000, "flags1pct-ms")
	b.ReportMetric(float64(noChange)/float64(floorNoChange), "nochange-x-floor")
	b.ReportMetric(float64(flagResync)/float64(floorFlags), "flags1pct-x-floor")
	b.ReportMetric(float64(latency.Microseconds())/1000, "newmail-median-ms")
	b.ReportMetric(float64(latency)/float64(floorLatency), "newmail-x-floor")
	b.ReportMetric(float64(idle.cpu.self.Microseconds())/1000, "idle-cpu-ms")
	b.ReportMetric(float64(idle.stats.BytesRecv), "idle-recv-B")
	b.ReportMetric(float64(headerRSS>>20), "headers-peak-MB")
	b.ReportMetric(float64(bodyRSS>>20), "bodies-peak-MB")
}

// seedMaildir writes n generated messages straight into user's INBOX
// Maildir (much faster than delivering them one by one) and returns their
// total size.
func seedMaildir(b *testing.B, real *mailtest.Real, user mailtest.RealUser, n int) int64 {
	b.Helper()
	// Open INBOX once so that Dovecot creates the Maildir with its owner.
	rw := dialBare(b, real, user, nil)
	bareCommand(b, rw, "y", "SELECT INBOX")
	bareCommand(b, rw, "z", "LOGOUT")
	dir := real.MaildirPath(user.Name)
	fi, err := os.Stat(dir)
	if err != nil {
		b.Fatal(err)
	}
	sys := fi.Sys().(*syscall.Stat_t)
	cur := filepath.Join(dir, "cur")
	rng := rand.New(rand.NewPCG(1, 2))
	g := newBenchGen(rng)
	var total int64
	base := time.Now().Add(-time.Duration(n) * time.Minute)
	for i := 0; i < n; i++ {
		raw := g.message(i, base.Add(time.Duration(i)*time.Minute))
		flags := "S"
		if rng.IntN(10) == 0 {
			flags = ""
		}
		if rng.IntN(50) == 0 {
			flags = "F" + flags
		}
		name := fmt.Sprintf("%d.M%dP1.bench,S=%d:2,%s", base.Unix()+int64(i), i, len(raw), flags)
		p := filepath.Join(cur, name)
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			b.Fatal(err)
		}
		d := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, d, d)
		os.Chown(p, int(sys.Uid), int(sys.Gid))
		total += int64(len(raw))
	}
	return total
}

// benchGen makes realistic messages: plain and HTML, threads, non-ASCII,
// and now and then an attachment of up to 1 MB.
type benchGen struct {
	rng   *rand.Rand
	words []string
	names []string
}

func newBenchGen(rng *rand.Rand) *benchGen {
	return &benchGen{rng: rng,
		words: strings.Fields("the quarterly report is attached please review before friday meeting notes from yesterday's call " +
			"we should ship the release next week après-ski café Zürich naïve résumé 東京 会議 привет отчёт budget invoice " +
			"travel itinerary flight hotel booking confirmation newsletter update security alert password changed"),
		names: []string{"Alice Martin", "José Müller", "Zoë Papadopoulou", "李小龍", "Søren Kierkegård", "Ben Carter", "Noah Kim", "Priya Nair"},
	}
}

func (g *benchGen) sentence(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = g.words[g.rng.IntN(len(g.words))]
	}
	return strings.Join(w, " ")
}

func (g *benchGen) message(i int, date time.Time) []byte {
	var sb strings.Builder
	name := g.names[g.rng.IntN(len(g.names))]
	fmt.Fprintf(&sb, "From: =?UTF-8?B?%s?= <user%d@example.org>\r\n", b64(name), g.rng.IntN(500))
	sb.WriteString("To: bench@example.test\r\n")
	subject := g.sentence(3 + g.rng.IntN(6))
	if i > 0 && g.rng.IntN(3) == 0 {
		ref := g.rng.IntN(i)
		subject = "Re: " + subject
		fmt.Fprintf(&sb, "In-Reply-To: <m%d@example.org>\r\nReferences: <m%d@example.org>\r\n", ref, ref)
	}
	fmt.Fprintf(&sb, "Subject: =?UTF-8?B?%s?=\r\n", b64(subject))
	fmt.Fprintf(&sb, "Date: %s\r\nMessage-ID: <m%d@example.org>\r\nMIME-Version: 1.0\r\n", date.Format(time.RFC1123Z), i)
	body := ""
	for p := 0; p < 2+g.rng.IntN(6); p++ {
		body += g.sentence(20+g.rng.IntN(60)) + "\r\n\r\n"
	}
	switch k := g.rng.IntN(100); {
	case k < 55:
		sb.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body)
	case k < 90:
		html := "<html><body><table width=\"600\"><tr><td><h1>" + g.sentence(4) + "</h1>"
		for _, p := range strings.Split(body, "\r\n\r\n") {
			html += "<p style=\"font-family:Arial\">" + p + "</p>\r\n"
		}
		html += "</td></tr></table></body></html>\r\n"
		sb.WriteString("Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
			"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "--alt--\r\n")
	default:
		size := 10_000 + g.rng.IntN(90_000)
		if k == 99 {
			size = 1 << 20
		}
		blob := make([]byte, size)
		for j := range blob {
			blob[j] = byte(g.rng.IntN(256))
		}
		sb.WriteString("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
			"--mix\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		enc := b64Bytes(blob)
		for len(enc) > 76 {
			sb.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		sb.WriteString(enc + "\r\n--mix--\r\n")
	}
	return []byte(sb.String())
}

// dialBare logs in with a raw TLS connection, no IMAP library.
func dialBare(b *testing.B, real *mailtest.Real, user mailtest.RealUser, roots *x509.CertPool) *bufio.ReadWriter {
	b.Helper()
	if roots == nil {
		roots = x509.NewCertPool()
		roots.AppendCertsFromPEM(real.CertPEM)
	}
	conn, err := tls.Dial("tcp", real.IMAPSAddr, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		b.Fatal(err)
	}
	rw := bufio.NewReadWriter(bufio.NewReaderSize(conn, 1<<20), bufio.NewWriter(conn))
	readUntil(b, rw.Reader, "*")
	bareCommand(b, rw, "a", fmt.Sprintf("LOGIN %q %q", user.Name, user.Password))
	return rw
}

func bareCommand(b *testing.B, rw *bufio.ReadWriter, tag, cmd string) {
	b.Helper()
	fmt.Fprintf(rw, "%s %s\r\n", tag, cmd)
	rw.Flush()
	readUntil(b, rw.Reader, tag+" ")
}

// readUntil reads responses, skipping literals, until a line starts with
// prefix; a tagged NO or BAD fails the benchmark.
func readUntil(b *testing.B, r *bufio.Reader, prefix string) {
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		if n := literalSize(line); n >= 0 {
			if _, err := r.Discard(n); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if strings.HasPrefix(string(line), prefix) {
			if prefix != "*" && !strings.HasPrefix(string(line[len(prefix):]), "OK") {
				b.Fatalf("server: %s", line)
			}
			return
		}
	}
}

func literalSize(line []byte) int {
	s := strings.TrimRight(string(line), "\r\n")
	if !strings.HasSuffix(s, "}") {
		return -1
	}
	i := strings.LastIndexByte(s, '{')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s[i+1:len(s)-1], "+"))
	if err != nil {
		return -1
	}
	return n
}

// bareFetch is the wire floor: log in, select, one UID FETCH 1:* of items,
// the reply read and thrown away without parsing.
func bareFetch(b *testing.B, real *mailtest.Real, user mailtest.RealUser, roots *x509.CertPool, items string) time.Duration {
	b.Helper()
	start := time.Now()
	rw := dialBare(b, real, user, roots)
	bareCommand(b, rw, "b", "SELECT INBOX")
	bareCommand(b, rw, "c", "UID FETCH 1:* "+items)
	d := time.Since(start)
	bareCommand(b, rw, "d", "LOGOUT")
	return d
}

// bareModSeq returns mailbox's HIGHESTMODSEQ, read by a bare client.
func bareModSeq(b *testing.B, rw *bufio.ReadWriter, mailbox string) uint64 {
	b.Helper()
	fmt.Fprintf(rw, "m STATUS %s (HIGHESTMODSEQ)\r\n", mailbox)
	rw.Flush()
	var modseq uint64
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if i := strings.Index(line, "HIGHESTMODSEQ "); i >= 0 && strings.HasPrefix(line, "* STATUS") {
			modseq, _ = strconv.ParseUint(strings.TrimRight(strings.Fields(line[i:])[1], ")\r\n"), 10, 64)
		}
		if strings.HasPrefix(line, "m ") {
			if modseq == 0 {
				b.Fatalf("no HIGHESTMODSEQ: %s", line)
			}
			return modseq
		}
	}
}

// bareNewMailLatency is new mail's floor: a bare client in IDLE on INBOX;
// it submits count messages through Postfix and returns the sorted times
// from Postfix accepting each to the server's EXISTS.
func bareNewMailLatency(b *testing.B, real *mailtest.Real, user mailtest.RealUser, roots *x509.CertPool, count int) []time.Duration {
	b.Helper()
	rw := dialBare(b, real, user, roots)
	bareCommand(b, rw, "s", "SELECT INBOX")
	fmt.Fprintf(rw, "i IDLE\r\n")
	rw.Flush()
	for {
		line, err := rw.ReadString('\n')
		if err != nil || strings.HasPrefix(line, "i ") {
			b.Fatalf("IDLE: %q %v", line, err)
		}
		if strings.HasPrefix(line, "+") {
			break
		}
	}
	var out []time.Duration
	for i := 0; i < count; i++ {
		raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: floor probe %d\r\nMessage-ID: <floor%d@example.test>\r\nDate: %s\r\n\r\nping\r\n",
			user.Name, user.Name, i, i, time.Now().Format(time.RFC1123Z))
		if err := real.Submit(user, user.Name, []string{user.Name}, []byte(raw)); err != nil {
			b.Fatal(err)
		}
		accepted := time.Now()
		for {
			line, err := rw.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasSuffix(strings.TrimRight(line, "\r\n"), " EXISTS") {
				break
			}
		}
		out = append(out, time.Since(accepted))
	}
	fmt.Fprintf(rw, "DONE\r\n")
	rw.Flush()
	readUntil(b, rw.Reader, "i ")
	bareCommand(b, rw, "l", "LOGOUT")
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// changeFlags toggles \Flagged on count messages from another client.
func changeFlags(b *testing.B, real *mailtest.Real, user mailtest.RealUser, roots *x509.CertPool, count int) {
	b.Helper()
	c, err := imapclient.DialTLS(real.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user.Name, user.Password).Wait(); err != nil {
		b.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		b.Fatal(err)
	}
	var set imap.SeqSet
	for i := 0; i < count; i++ {
		set.AddNum(1 + uint32(i)*sel.NumMessages/uint32(max(count, 1)))
	}
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{"$Bench"}, Silent: true}, nil).Close(); err != nil {
		b.Fatal(err)
	}
}

// newMailLatency submits count messages through Postfix while an engine
// runs and returns the sorted times from Postfix accepting each to its row
// being in the store.
func newMailLatency(b *testing.B, real *mailtest.Real, user mailtest.RealUser, st *store.DB, acct accounts.Account, opts *Options, count int) []time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := *opts
	o.PollInterval = time.Hour
	e := New(st, acct, &o)
	go e.Run(ctx)
	deadline := time.Now().Add(5 * time.Minute)
	for e.Status().State != StateIdle {
		if time.Now().After(deadline) {
			b.Fatal("engine never became idle")
		}
		time.Sleep(10 * time.Millisecond)
	}
	inbox, err := st.MailboxByRole(ctx, acct.ID, store.RoleInbox)
	if err != nil {
		b.Fatal(err)
	}
	var out []time.Duration
	for i := 0; i < count; i++ {
		subject := fmt.Sprintf("latency probe %d", i)
		raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <probe%d@example.test>\r\nDate: %s\r\n\r\nping\r\n",
			user.Name, user.Name, subject, i, time.Now().Format(time.RFC1123Z))
		if err := real.Submit(user, user.Name, []string{user.Name}, []byte(raw)); err != nil {
			b.Fatal(err)
		}
		accepted := time.Now()
		for {
			msgs, _ := st.Messages(ctx, inbox.ID, 0, 1)
			if len(msgs) == 1 && msgs[0].Subject == subject {
				break
			}
			if time.Since(accepted) > time.Minute {
				b.Fatalf("probe %d never arrived", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		out = append(out, time.Since(accepted))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// idleFigures is what a running engine did while nothing happened.
type idleFigures struct {
	watch        time.Duration
	changePasses int64         // passes from the flag change to settling
	settle       time.Duration // from the flag change to settled
	cpu          cpuSpan       // over watch, after settling
	stats        Stats         // over watch, after settling
}

// idleAfterFlagChange runs an engine over the synced account, marks one
// message read or unread in Tern, waits until the engine has replayed it
// and settled, and then watches it for TERN_BENCH_IDLE (default 60 s): the
// CPU it used and the traffic it made while nothing happened.
func idleAfterFlagChange(b *testing.B, st *store.DB, acct accounts.Account, opts *Options) idleFigures {
	b.Helper()
	f := idleFigures{watch: time.Minute}
	if s := os.Getenv("TERN_BENCH_IDLE"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			f.watch = d
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := *opts
	o.PollInterval = time.Hour
	e := New(st, acct, &o)
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	settled := func(what string) {
		deadline := time.Now().Add(5 * time.Minute)
		for {
			pending, err := st.PendingActions(ctx, acct.ID)
			if err == nil && len(pending) == 0 && e.settled() {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("the engine did not settle %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	settled("after starting")
	inbox, err := st.MailboxByRole(ctx, acct.ID, store.RoleInbox)
	if err != nil {
		b.Fatal(err)
	}
	msgs, err := st.Messages(ctx, inbox.ID, 0, 1)
	if err != nil || len(msgs) == 0 {
		b.Fatalf("no message in INBOX: %v", err)
	}
	before := e.Stats()
	t0 := time.Now()
	if _, err := st.SetFlag(ctx, msgs[0].ID, store.FlagSeen, !msgs[0].Seen()); err != nil {
		b.Fatal(err)
	}
	e.Kick()
	settled("after the flag change")
	f.settle = time.Since(t0)
	start, u0 := e.Stats(), usageNow()
	f.changePasses = start.Passes - before.Passes
	time.Sleep(f.watch)
	end := e.Stats()
	f.cpu = usageNow().since(u0)
	f.stats = Stats{Passes: end.Passes - start.Passes, BytesSent: end.BytesSent - start.BytesSent,
		BytesRecv: end.BytesRecv - start.BytesRecv, Idling: end.Idling}
	return f
}

// median returns the middle of ds (which it sorts).
func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// usage is a moment's CPU accounting: this process's CPU time and the
// whole machine's busy and total time (from /proc/stat, so Dovecot's share
// shows too).
type usage struct {
	self        time.Duration
	busy, total int64 // jiffies
}

func usageNow() usage {
	var u usage
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseInt(f, 10, 64)
			u.total += v
			if i != 3 && i != 4 { // idle, iowait
				u.busy += v
			}
		}
	}
	return u
}

// cpuSpan is the CPU used between two usages.
type cpuSpan struct {
	self  time.Duration
	cores float64 // machine-wide busy cores on average
	ncpu  int
}

func (u usage) since(then usage) cpuSpan {
	s := cpuSpan{self: u.self - then.self, ncpu: runtime.NumCPU()}
	if d := u.total - then.total; d > 0 {
		s.cores = float64(u.busy-then.busy) / float64(d) * float64(s.ncpu)
	}
	return s
}

// String says how much CPU this process used and how busy the machine was.
func (s cpuSpan) String() string {
	return fmt.Sprintf("%.1fs, machine %.1f/%d cores busy", s.self.Seconds(), s.cores, s.ncpu)
}

func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak resident set since the last reset.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func b64(s string) string { return b64Bytes([]byte(s)) }

func b64Bytes(p []byte) string { return base64.StdEncoding.EncodeToString(p) }
