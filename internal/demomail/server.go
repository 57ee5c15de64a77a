package demomail

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/internal/goroutine"
)

// Defaults used by StartServer when the options leave them empty.
const (
	// DefaultUsername is the login (and e-mail address) of the server's
	// only account.
	DefaultUsername = Address
	// Delimiter is the mailbox hierarchy delimiter of the IMAP server.
	Delimiter = '/'
)

// ServerOptions configures StartServer. The zero value is valid.
type ServerOptions struct {
	// Username is the IMAP/SMTP login and the account's e-mail address.
	// Defaults to DefaultUsername.
	Username string
	// Password defaults to a random 24-character string (see Server.Password).
	Password string
	// TLS enables implicit TLS on both IMAP and SMTP, using a freshly
	// generated self-signed certificate for 127.0.0.1, ::1 and localhost.
	// Without TLS, plaintext authentication is allowed (loopback only).
	TLS bool
	// Seed messages are appended at start, creating mailboxes as needed.
	Seed []SeedMessage
	// Mailboxes are extra (empty) mailboxes to create. Parents are created
	// as needed ("a/b" creates "a" too).
	Mailboxes []string
	// Without removes capabilities from the ones the IMAP server advertises,
	// to test clients against a poorer server: without imap.CapMove the
	// server refuses MOVE, without imap.CapUIDPlus it refuses UID EXPUNGE,
	// without imap.CapListStatus it ignores LIST's RETURN (STATUS).
	Without []imap.Cap
	// Logf receives server error logs. Nil discards them.
	Logf func(format string, args ...any)
	// SMTPMaxBytes is the SIZE the SMTP server advertises and enforces;
	// 0 means 50 MiB.
	SMTPMaxBytes int64
}

// Envelope is a message accepted by the SMTP server.
type Envelope struct {
	From string
	To   []string
	Data []byte
}

// Server is a running in-process IMAP + SMTP server with a single account.
// Its methods are safe for concurrent use.
type Server struct {
	IMAPAddr, SMTPAddr string // "127.0.0.1:port"
	Username, Password string
	TLS                bool
	// CertPEM is the PEM-encoded self-signed certificate (TLS only).
	CertPEM []byte
	// CertSHA256 is "SHA256:" followed by the uppercase hex SHA-256 of the
	// certificate's DER encoding; empty without TLS.
	CertSHA256 string

	logf func(string, ...any)
	mem  *imapmemserver.Server
	user *imapmemserver.User
	imap *imapserver.Server
	smtp *smtp.Server
	wg   sync.WaitGroup

	mu       sync.Mutex // guards boxes and all mailbox-namespace changes
	boxes    map[string]*boxInfo
	received []Envelope

	listeners []net.Listener

	caps         imap.CapSet
	bareExpunges atomic.Int64
	idles        atomic.Int64
	idleMu       sync.Mutex
	idleEnd      chan struct{}   // closed by EndIdles
	idlePolled   []chan struct{} // closed after an idling session's next poll

	closeOnce sync.Once
	closeErr  error
}

type boxInfo struct {
	special    imap.MailboxAttr // "" if none
	subscribed bool
}

// wellKnownSpecialUse maps the standard mailbox names created by the seed to
// their RFC 6154 attribute.
var wellKnownSpecialUse = map[string]imap.MailboxAttr{
	"Sent":    imap.MailboxAttrSent,
	"Drafts":  imap.MailboxAttrDrafts,
	"Archive": imap.MailboxAttrArchive,
	"Trash":   imap.MailboxAttrTrash,
	"Junk":    imap.MailboxAttrJunk,
}

// imapCaps is the capability set advertised by the IMAP server (in addition
// to those imapserver always adds: SASL-IR, LITERAL-, AUTH=PLAIN, and after
// login UNSELECT, ENABLE, IDLE, UTF8=ACCEPT). IMAP4rev2 is deliberately not
// advertised: go-imap's client then sends raw UTF-8 mailbox names without
// ENABLE, which the server does not accept.
var imapCaps = imap.CapSet{
	imap.CapIMAP4rev1:        {},
	imap.CapNamespace:        {},
	imap.CapUIDPlus:          {},
	imap.CapESearch:          {},
	imap.CapSearchRes:        {},
	imap.CapListExtended:     {},
	imap.CapListStatus:       {},
	imap.CapMove:             {},
	imap.CapStatusSize:       {},
	imap.CapBinary:           {},
	imap.CapChildren:         {},
	imap.CapSpecialUse:       {},
	imap.CapCreateSpecialUse: {},
	imap.CapLiteralPlus:      {},
}

// StartServer starts an IMAP and an SMTP server on random loopback ports.
// opts may be nil. Call Close when done.
func StartServer(opts *ServerOptions) (*Server, error) {
	if opts == nil {
		opts = &ServerOptions{}
	}
	s := &Server{
		Username: opts.Username,
		Password: opts.Password,
		TLS:      opts.TLS,
		logf:     opts.Logf,
		mem:      imapmemserver.New(),
		boxes:    make(map[string]*boxInfo),
		caps:     imap.CapSet{},
		idleEnd:  make(chan struct{}),
	}
	for c := range imapCaps {
		s.caps[c] = struct{}{}
	}
	for _, c := range opts.Without {
		delete(s.caps, c)
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	if s.Username == "" {
		s.Username = DefaultUsername
	}
	if s.Password == "" {
		s.Password = randomPassword()
	}
	s.user = imapmemserver.NewUser(s.Username, s.Password)
	s.mem.AddUser(s.user)

	// Mailboxes: INBOX and the well-known ones always exist, like on a
	// freshly provisioned account.
	for _, name := range []string{"INBOX", "Sent", "Drafts", "Archive", "Trash", "Junk"} {
		if err := s.ensureMailbox(name); err != nil {
			return nil, err
		}
	}
	for _, name := range opts.Mailboxes {
		if err := s.ensureMailbox(name); err != nil {
			return nil, err
		}
	}
	for i, m := range opts.Seed {
		if _, err := s.Append(m.Mailbox, m.Raw, m.Flags, m.Date); err != nil {
			return nil, fmt.Errorf("demomail: seed message %d: %w", i, err)
		}
	}

	var tlsConfig *tls.Config
	if s.TLS {
		cert, certPEM, err := selfSignedCert()
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(cert.Certificate[0])
		s.CertPEM = certPEM
		s.CertSHA256 = "SHA256:" + strings.ToUpper(hex.EncodeToString(sum[:]))
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	imapLn, err := listen(tlsConfig)
	if err != nil {
		return nil, err
	}
	smtpLn, err := listen(tlsConfig)
	if err != nil {
		imapLn.Close()
		return nil, err
	}
	s.IMAPAddr = imapLn.Addr().String()
	s.SMTPAddr = smtpLn.Addr().String()

	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{srv: s}, nil, nil
		},
		Caps:         s.caps,
		Logger:       logfLogger(s.logf),
		InsecureAuth: !s.TLS, // listeners are loopback-only
	})

	s.smtp = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s}, nil
	}))
	s.smtp.Domain = "localhost"
	s.smtp.AllowInsecureAuth = !s.TLS
	s.smtp.MaxMessageBytes = cmp.Or(opts.SMTPMaxBytes, 50<<20)
	s.smtp.MaxRecipients = 100
	s.smtp.ReadTimeout = 5 * time.Minute
	s.smtp.WriteTimeout = time.Minute
	s.smtp.EnableSMTPUTF8 = true
	s.smtp.ErrorLog = logfLogger(s.logf)

	// Close also closes the listeners itself: a server closed before its
	// Serve goroutine ran would otherwise never stop accepting.
	s.listeners = []net.Listener{imapLn, smtpLn}
	s.wg.Add(2)
	goroutine.GoErr("demomail: imap", s.logf, func() error {
		if err := s.imap.Serve(imapLn); err != nil && !isClosedErr(err) {
			s.logf("demomail: imap serve: %v", err)
		}
		return nil
	}, func(error) { s.wg.Done() })
	goroutine.GoErr("demomail: smtp", s.logf, func() error {
		if err := s.smtp.Serve(smtpLn); err != nil && !isClosedErr(err) {
			s.logf("demomail: smtp serve: %v", err)
		}
		return nil
	}, func(error) { s.wg.Done() })
	return s, nil
}

// Close stops both servers and closes all connections.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err1 := s.imap.Close()
		err2 := s.smtp.Close()
		for _, l := range s.listeners {
			l.Close()
		}
		s.wg.Wait()
		if err1 != nil && !isClosedErr(err1) {
			s.closeErr = err1
		} else if err2 != nil && !isClosedErr(err2) {
			s.closeErr = err2
		}
	})
	return s.closeErr
}

// Append adds a message to mailbox (created if missing) as if it had been
// delivered. Sessions that have the mailbox selected (including IDLE ones)
// are notified. flags are IMAP flags such as `\Seen`; a zero date means now.
func (s *Server) Append(mailbox string, raw []byte, flags []string, date time.Time) (uint32, error) {
	if err := s.ensureMailbox(mailbox); err != nil {
		return 0, err
	}
	opts := &imap.AppendOptions{Time: date}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	data, err := s.user.Append(mailbox, &literal{bytes.NewReader(raw), int64(len(raw))}, opts)
	if err != nil {
		return 0, err
	}
	return uint32(data.UID), nil
}

// BareExpunges returns how many times a client sent EXPUNGE without UIDs
// (which removes every message marked \Deleted, also those others marked).
func (s *Server) BareExpunges() int { return int(s.bareExpunges.Load()) }

// IdleCommands returns how many IDLE commands clients have started.
func (s *Server) IdleCommands() int { return int(s.idles.Load()) }

// EndIdles ends every IDLE command running now with a NO, as a server that
// drops IDLE without closing the connection would. The clients are not
// told otherwise: no untagged BYE, no closed connection.
func (s *Server) EndIdles() {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	close(s.idleEnd)
	s.idleEnd = make(chan struct{})
}

// SetFlags replaces the flags of the message uid in mailbox, as another
// client would (silently); sessions that have the mailbox selected are
// notified.
func (s *Server) SetFlags(mailbox string, uid uint32, flags []string) error {
	sess := imapmemserver.NewUserSession(s.user)
	defer sess.Close()
	if _, err := sess.Select(canonMailbox(mailbox), nil); err != nil {
		return err
	}
	fl := make([]imap.Flag, len(flags))
	for i, f := range flags {
		fl[i] = imap.Flag(f)
	}
	return sess.Store(nil, imap.UIDSetNum(imap.UID(uid)),
		&imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: fl}, nil)
}

// Received returns a copy of every message accepted by the SMTP server, in
// order.
func (s *Server) Received() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Envelope, len(s.received))
	for i, e := range s.received {
		out[i] = Envelope{From: e.From, To: append([]string(nil), e.To...), Data: append([]byte(nil), e.Data...)}
	}
	return out
}

// Mailboxes returns the names of all existing mailboxes, sorted.
func (s *Server) Mailboxes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.boxes))
	for name := range s.boxes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// TLSConfig returns a client TLS configuration trusting the server's
// certificate, or nil without TLS.
func (s *Server) TLSConfig() *tls.Config {
	if !s.TLS {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertPEM)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// ensureMailbox creates name and its parents if they don't exist.
func (s *Server) ensureMailbox(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonMailbox(name)
	if _, ok := s.boxes[name]; ok {
		return nil
	}
	return s.createLocked(name, wellKnownSpecialUse[name], true)
}

// createLocked creates name, creating missing parents first. s.mu must be held.
func (s *Server) createLocked(name string, special imap.MailboxAttr, subscribe bool) error {
	if name == "" {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Invalid mailbox name"}
	}
	for i, r := range name {
		if r != Delimiter || i == 0 {
			continue
		}
		parent := name[:i]
		if _, ok := s.boxes[parent]; ok {
			continue
		}
		if err := s.user.Create(parent, nil); err != nil {
			return err
		}
		s.boxes[parent] = &boxInfo{subscribed: subscribe}
		if subscribe {
			_ = s.user.Subscribe(parent)
		}
	}
	if err := s.user.Create(name, nil); err != nil {
		return err
	}
	s.boxes[name] = &boxInfo{special: special, subscribed: subscribe}
	if subscribe {
		return s.user.Subscribe(name)
	}
	return nil
}

func (s *Server) hasChildrenLocked(name string) bool {
	prefix := name + string(Delimiter)
	for other := range s.boxes {
		if strings.HasPrefix(other, prefix) {
			return true
		}
	}
	return false
}

// canonMailbox trims trailing delimiters and upper-cases INBOX.
func canonMailbox(name string) string {
	name = strings.TrimRight(name, string(Delimiter))
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// deliverLocal stores a message received over SMTP for the local user.
func (s *Server) deliverLocal(from string, data []byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", from)
	fmt.Fprintf(&b, "Received: from localhost by localhost (Tern demo) with ESMTPSA;\r\n\t%s\r\n",
		time.Now().Format(time.RFC1123Z))
	b.Write(data)
	if _, err := s.Append("INBOX", b.Bytes(), nil, time.Now()); err != nil {
		s.logf("demomail: local delivery: %v", err)
	}
}

// imapSession wraps the memserver session to keep a mailbox registry, so that
// LIST can return SPECIAL-USE and CHILDREN attributes (imapmemserver in
// v2.0.0-beta.8 ignores CreateOptions.SpecialUse).
type imapSession struct {
	*imapmemserver.UserSession // nil until logged in
	srv                        *Server
}

var _ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)

func (sess *imapSession) Login(username, password string) error {
	if err := sess.srv.user.Login(username, password); err != nil {
		return err
	}
	sess.UserSession = imapmemserver.NewUserSession(sess.srv.user)
	return nil
}

func (sess *imapSession) Close() error {
	if sess.UserSession == nil {
		return nil
	}
	return sess.UserSession.Close()
}

// Move refuses MOVE when the server was started without it.
func (sess *imapSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	if !sess.srv.caps.Has(imap.CapMove) {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "MOVE is not supported"}
	}
	return sess.UserSession.Move(w, numSet, dest)
}

// Expunge refuses UID EXPUNGE when the server was started without UIDPLUS,
// and counts bare EXPUNGEs.
func (sess *imapSession) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	if uids == nil {
		sess.srv.bareExpunges.Add(1)
	} else if !sess.srv.caps.Has(imap.CapUIDPlus) {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "UID EXPUNGE is not supported"}
	}
	return sess.UserSession.Expunge(w, uids)
}

// Idle counts IDLE commands and ends them early on EndIdles. It polls the
// mailbox on a short tick rather than waiting on go-imap's tracker, which
// holds back an update queued between the session's last poll and the
// start of IDLE until the next update comes (the same bug as
// cyrus-imapd#3668): a client that sends NOOP and then IDLE would miss a
// message delivered in between.
func (sess *imapSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	s := sess.srv
	s.idles.Add(1)
	s.idleMu.Lock()
	end := s.idleEnd
	s.idleMu.Unlock()
	tick := time.NewTicker(idlePollInterval)
	defer tick.Stop()
	for {
		if err := sess.UserSession.Poll(w, true); err != nil {
			return err
		}
		s.idleMu.Lock()
		for _, c := range s.idlePolled {
			close(c)
		}
		s.idlePolled = nil
		s.idleMu.Unlock()
		select {
		case <-stop:
			return nil
		case <-end:
			return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "IDLE ended by the server"}
		case <-tick.C:
		}
	}
}

// nextIdlePoll returns a channel that is closed once an idling session has
// looked for news after this call: from then on, a change is reported by
// IDLE's own polling, not by the command before it.
func (s *Server) nextIdlePoll() <-chan struct{} {
	c := make(chan struct{})
	s.idleMu.Lock()
	s.idlePolled = append(s.idlePolled, c)
	s.idleMu.Unlock()
	return c
}

// idlePollInterval is how often an idling session looks for news.
const idlePollInterval = 20 * time.Millisecond

func (sess *imapSession) Create(name string, options *imap.CreateOptions) error {
	s := sess.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonMailbox(name)
	var special imap.MailboxAttr
	if options != nil && len(options.SpecialUse) > 0 {
		if len(options.SpecialUse) > 1 || !isSpecialUse(options.SpecialUse[0]) {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCode("USEATTR"), Text: "Unsupported special-use attribute"}
		}
		special = options.SpecialUse[0]
	}
	if _, ok := s.boxes[name]; ok {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists, Text: "Mailbox already exists"}
	}
	return s.createLocked(name, special, false)
}

func (sess *imapSession) Delete(name string) error {
	s := sess.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonMailbox(name)
	if name == "INBOX" {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "INBOX can't be deleted"}
	}
	if _, ok := s.boxes[name]; ok && s.hasChildrenLocked(name) {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeHasChildren, Text: "Mailbox has children, delete them first"}
	}
	if err := s.user.Delete(name); err != nil {
		return err
	}
	delete(s.boxes, name)
	return nil
}

func (sess *imapSession) Rename(oldName, newName string, options *imap.RenameOptions) error {
	s := sess.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	oldName, newName = canonMailbox(oldName), canonMailbox(newName)
	info, ok := s.boxes[oldName]
	if !ok {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "No such mailbox"}
	}
	if _, exists := s.boxes[newName]; exists {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists, Text: "Mailbox already exists"}
	}
	if newName == "" || strings.HasPrefix(newName, oldName+string(Delimiter)) {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Invalid target name"}
	}
	// Create missing parents of the new name.
	if i := strings.LastIndexByte(newName, byte(Delimiter)); i > 0 {
		if _, ok := s.boxes[newName[:i]]; !ok {
			if err := s.createLocked(newName[:i], "", false); err != nil {
				return err
			}
		}
	}
	if err := s.user.Rename(oldName, newName, options); err != nil {
		return err
	}
	delete(s.boxes, oldName)
	s.boxes[newName] = info
	if oldName == "INBOX" {
		// RFC 3501: renaming INBOX moves its messages and leaves it empty.
		if err := s.user.Create("INBOX", nil); err != nil {
			return err
		}
		s.boxes["INBOX"] = &boxInfo{subscribed: true}
		_ = s.user.Subscribe("INBOX")
		return nil
	}
	// Inferior names are renamed too.
	prefix := oldName + string(Delimiter)
	var children []string
	for name := range s.boxes {
		if strings.HasPrefix(name, prefix) {
			children = append(children, name)
		}
	}
	sort.Strings(children)
	for _, child := range children {
		target := newName + string(Delimiter) + strings.TrimPrefix(child, prefix)
		if err := s.user.Rename(child, target, nil); err != nil {
			return err
		}
		s.boxes[target] = s.boxes[child]
		delete(s.boxes, child)
	}
	return nil
}

func (sess *imapSession) Subscribe(name string) error {
	return sess.setSubscribed(name, true)
}

func (sess *imapSession) Unsubscribe(name string) error {
	return sess.setSubscribed(name, false)
}

func (sess *imapSession) setSubscribed(name string, sub bool) error {
	s := sess.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonMailbox(name)
	info, ok := s.boxes[name]
	if !ok {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "No such mailbox"}
	}
	var err error
	if sub {
		err = s.user.Subscribe(name)
	} else {
		err = s.user.Unsubscribe(name)
	}
	if err == nil {
		info.subscribed = sub
	}
	return err
}

type listEntry struct {
	name        string
	info        boxInfo
	hasChildren bool
	subChild    bool // has a subscribed descendant
}

func (sess *imapSession) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		// LIST "" "": return the hierarchy delimiter.
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: Delimiter})
	}
	if options == nil {
		options = &imap.ListOptions{}
	}

	s := sess.srv
	s.mu.Lock()
	entries := make([]listEntry, 0, len(s.boxes))
	for name, info := range s.boxes {
		e := listEntry{name: name, info: *info}
		prefix := name + string(Delimiter)
		for other, oi := range s.boxes {
			if strings.HasPrefix(other, prefix) {
				e.hasChildren = true
				if oi.subscribed {
					e.subChild = true
				}
			}
		}
		entries = append(entries, e)
	}
	s.mu.Unlock()
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	for _, e := range entries {
		match := false
		for _, p := range patterns {
			if imapserver.MatchList(e.name, Delimiter, ref, p) {
				match = true
				break
			}
		}
		if !match {
			continue
		}
		data := imap.ListData{Mailbox: e.name, Delim: Delimiter}
		if options.SelectSubscribed && !e.info.subscribed {
			if !options.SelectRecursiveMatch || !e.subChild {
				continue
			}
			data.ChildInfo = &imap.ListDataChildInfo{Subscribed: true}
		} else if options.SelectSubscribed && options.SelectRecursiveMatch && e.subChild {
			data.ChildInfo = &imap.ListDataChildInfo{Subscribed: true}
		}
		if options.SelectSpecialUse && e.info.special == "" {
			continue
		}
		if e.hasChildren {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
		} else {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
		}
		// Like Dovecot, return special-use attributes even when not
		// explicitly requested (RFC 6154 allows it).
		if e.info.special != "" {
			data.Attrs = append(data.Attrs, e.info.special)
		}
		if e.info.subscribed && (options.ReturnSubscribed || options.SelectSubscribed) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if options.ReturnStatus != nil && sess.UserSession != nil && s.caps.Has(imap.CapListStatus) {
			if st, err := sess.UserSession.Status(e.name, options.ReturnStatus); err == nil {
				data.Status = st
			}
		}
		if err := w.WriteList(&data); err != nil {
			return err
		}
	}
	return nil
}

func isSpecialUse(attr imap.MailboxAttr) bool {
	switch imap.MailboxAttr(strings.ToLower(string(attr))) {
	case "\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash":
		return true
	}
	return false
}

// smtpSession is a submission session: AUTH is required before MAIL.
type smtpSession struct {
	srv    *Server
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) AuthMechanisms() []string {
	return []string{sasl.Plain, sasl.Login}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if err := ss.srv.user.Login(username, password); err != nil {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return smtp.ErrAuthFailed
			}
			return check(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{auth: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.srv
	env := Envelope{From: ss.from, To: append([]string(nil), ss.to...), Data: data}
	local := false
	for _, rcpt := range ss.to {
		if strings.EqualFold(rcpt, s.Username) {
			local = true
		}
	}
	if local {
		s.deliverLocal(ss.from, data)
	}
	s.mu.Lock()
	s.received = append(s.received, env)
	s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *smtpSession) Logout() error { return nil }

// loginServer implements the server side of the obsolete SASL LOGIN
// mechanism (draft-murchison-sasl-login), which go-sasl lacks.
type loginServer struct {
	step     int
	username string
	auth     func(username, password string) error
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(response) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough // initial response carries the username
	case 1:
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.auth(l.username, string(response))
	}
	return nil, true, errors.New("unexpected SASL LOGIN response")
}

type literal struct {
	*bytes.Reader
	size int64
}

func (l *literal) Size() int64 { return l.size }

type logfLogger func(string, ...any)

func (l logfLogger) Printf(format string, args ...any) { l(format, args...) }
func (l logfLogger) Println(args ...any)               { l("%s", strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

func listen(tlsConfig *tls.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	return ln, nil
}

func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, smtp.ErrServerClosed) ||
		strings.Contains(err.Error(), "server closed")
}

func randomPassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// selfSignedCert generates an ECDSA P-256 certificate valid for 127.0.0.1,
// ::1 and localhost for one year.
func selfSignedCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Tern demo server", Organization: []string{"Tern"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, certPEM, nil
}
