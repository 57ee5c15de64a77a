package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/health"
	"github.com/ternmail/tern/internal/goroutine"
)

// The account health report's parts are those of package accounts/health,
// named here so that the window and the command line need only app.
type (
	// HealthServer is the check of one server: steps, TLS, capabilities,
	// quota, diagnoses.
	HealthServer = health.Server
	// HealthStep is one step of a server's check.
	HealthStep = health.Step
	// HealthDiagnosis is a cause recognised from evidence, with its fix.
	HealthDiagnosis = health.Diagnosis
	// HealthAction is a fix a person can apply with one decision.
	HealthAction = health.Action
	// HealthTrace is a redacted protocol log of a check's connections.
	HealthTrace = health.Trace
	// HealthStatus is a step's result.
	HealthStatus = health.Status
)

// The results of a health step, and the names of the steps.
const (
	HealthOK   = health.StatusOK
	HealthWarn = health.StatusWarn
	HealthFail = health.StatusFail
	HealthSkip = health.StatusSkip

	HealthStepResolve      = health.StepResolve
	HealthStepConnect      = health.StepConnect
	HealthStepTLS          = health.StepTLS
	HealthStepGreeting     = health.StepGreeting
	HealthStepCapabilities = health.StepCapabilities
	HealthStepSignIn       = health.StepSignIn
	HealthStepQuota        = health.StepQuota
)

// The kinds of a HealthAction.
const (
	HealthSwitchEndpoint   = health.ActionSwitchEndpoint
	HealthReenterPassword  = health.ActionReenterPassword
	HealthReviewCert       = health.ActionReviewCert
	HealthFewerConnections = health.ActionFewerConnections
	HealthRetry            = health.ActionRetry
	HealthFreeSpace        = health.ActionFreeSpace
	// HealthSignIn signs an OAuth account in again in the browser
	// (Core.SignIn), as the status bar's Sign in again does.
	HealthSignIn = "sign-in-again"
)

// HealthDiagSignIn is the code of the diagnosis of an account in
// StateSignIn: its provider no longer accepts Tern's permission.
const HealthDiagSignIn = "sign-in-again"

// NewHealthTrace returns a trace keeping the last n lines of each
// connection (a default when n is 0), for HealthOptions.Trace.
func NewHealthTrace(n int) *HealthTrace { return health.NewTrace(n) }

// HealthOptions tunes Health. A nil *HealthOptions means defaults.
type HealthOptions struct {
	// Timeout bounds one connection; 0 means the default (15 s).
	Timeout time.Duration
	// Trace, when not nil, receives the redacted protocol exchanges.
	Trace *HealthTrace
}

// HealthReport is an account's health: its two servers checked step by
// step, and its state in Tern. It is a plain value once returned.
type HealthReport struct {
	Account  string
	Email    string
	Checked  time.Time
	Incoming *HealthServer
	Outgoing *HealthServer
	Local    LocalHealth
}

// Failed reports whether a server check failed or the local state has a
// diagnosis that needs the user.
func (r *HealthReport) Failed() bool {
	return r.Incoming.Failed() || r.Outgoing.Failed() || len(r.Local.Diagnoses) > 0
}

// LocalHealth is an account's state in Tern.
type LocalHealth struct {
	// Sync is the engine's state ("idle", "offline", …), Since when, and
	// SyncError why, when offline or in error.
	Sync      string
	SyncSince time.Time
	SyncError string
	// Push says whether a connection waits in IDLE for new mail.
	Push bool
	// SignIn says whether the account signs in with OAuth and its
	// provider no longer accepts Tern's permission (StateSignIn): sync and
	// the outbox wait until the user signs in again.
	SignIn bool
	// LastSynced is when a folder last finished syncing; OldestSynced the
	// least fresh synced folder; Folders and SyncedFolders their counts.
	LastSynced, OldestSynced time.Time
	Folders, SyncedFolders   int
	// LastFullSync is when the last complete sync pass (every folder)
	// ended and FullSyncDuration how long it took; zero when none did.
	LastFullSync     time.Time
	FullSyncDuration time.Duration
	// Pending local actions not yet applied on the server: their count,
	// the oldest's time and the last error one met.
	Pending          int
	OldestPending    time.Time
	PendingLastError string
	// Outbox: messages waiting to be sent, and those that failed for good
	// with the server's last words.
	OutboxWaiting int
	OutboxFailed  []OutboxProblem
	// SentCopyFailed are messages sent whose copy the server refused to
	// store in the Sent folder.
	SentCopyFailed []OutboxProblem
	// MissingBodies counts the messages whose body is not downloaded yet.
	MissingBodies int
	Diagnoses     []HealthDiagnosis
}

// OutboxProblem is a message the server refused.
type OutboxProblem struct {
	ID        int64
	Subject   string
	Size      int64
	State     string
	LastError string // the server's last words
}

// Health checks account's incoming and outgoing servers (signing in with
// the stored password, sending no mail) and reads its state in Tern. It
// may wait on the network and the keychain; the servers are checked at the
// same time.
func (c *Core) Health(ctx context.Context, account string, opts *HealthOptions) (*HealthReport, error) {
	a, ok := c.Account(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	var ho HealthOptions
	if opts != nil {
		ho = *opts
	}
	base := health.Options{Timeout: ho.Timeout, Trace: ho.Trace}
	if ac := c.opts.Autoconfig; ac != nil {
		base.Dial, base.PortMap, base.Roots = ac.Dial, ac.PortMap, ac.Roots
		if ac.Resolver != nil {
			base.Resolver = ac.Resolver
		}
	}
	r := &HealthReport{Account: a.ID, Email: a.Email, Checked: time.Now()}
	imapOpts, smtpOpts := base, base
	imapOpts.Username, imapOpts.Pin = a.IMAP.Username, a.PinFor(a.IMAP.Host, a.IMAP.Port)
	smtpOpts.Username, smtpOpts.Pin = a.SMTP.Username, a.PinFor(a.SMTP.Host, a.SMTP.Port)
	// A missing password skips the sign-in step, which says so.
	imapOpts.Password, _ = c.password(ctx, a.ID, accounts.ServerIMAP)
	smtpOpts.Password, _ = c.password(ctx, a.ID, accounts.ServerSMTP)
	done := make(chan struct{})
	goroutine.Go("health: check SMTP", c.opts.Logf, func() {
		defer close(done)
		r.Outgoing = health.CheckSMTP(ctx, a.SMTP, &smtpOpts)
	})
	r.Incoming = health.CheckIMAP(ctx, a.IMAP, &imapOpts)
	<-done
	if r.Outgoing == nil { // the check panicked; the helper reported it
		r.Outgoing = &HealthServer{Protocol: "SMTP", Endpoint: a.SMTP,
			Steps: []HealthStep{{Name: health.StepConnect, Status: health.StatusFail, Detail: "the check stopped unexpectedly"}}}
	}
	if a.UsesOAuth() {
		// The provider's permission is checked too: a renewal it refuses
		// puts the account in StateSignIn, which the local state reports.
		// A new process (tern doctor) learns it only so. Other failures
		// (no network) are the server checks' to report.
		if src, err := c.oauthSourceFor(a); err == nil && src != nil {
			src.Token(ctx)
		}
	}
	if err := c.localHealth(ctx, a, r); err != nil {
		return nil, err
	}
	return r, nil
}

// localHealth fills r.Local from the engine and the store.
func (c *Core) localHealth(ctx context.Context, a accounts.Account, r *HealthReport) error {
	l := &r.Local
	st := c.Status(a.ID)
	l.Sync, l.SyncSince, l.SyncError = string(st.State), st.Since, st.Err
	c.mu.Lock()
	if run, ok := c.engines[a.ID]; ok && run.running() {
		l.Push = run.engine.Stats().Idling > 0
	}
	c.mu.Unlock()
	sh, err := c.store.SyncHealth(ctx, a.ID)
	if err != nil {
		return err
	}
	l.LastSynced, l.OldestSynced, l.Folders, l.SyncedFolders, l.MissingBodies = sh.LastSynced, sh.OldestSynced, sh.Folders, sh.Synced, sh.MissingBodies
	l.LastFullSync, l.FullSyncDuration = sh.LastFullPass, sh.FullPassDuration
	pending, err := c.store.PendingActions(ctx, a.ID)
	if err != nil {
		return err
	}
	l.Pending = len(pending)
	for _, p := range pending {
		if l.OldestPending.IsZero() || p.Created.Before(l.OldestPending) {
			l.OldestPending = p.Created
		}
		if p.LastError != "" {
			l.PendingLastError = p.LastError
		}
	}
	items, err := c.store.Outbox(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		switch it.State {
		case OutboxQueued, OutboxSending:
			l.OutboxWaiting++
		case OutboxFailed, OutboxPartial, OutboxUncertain:
			l.OutboxFailed = append(l.OutboxFailed, OutboxProblem{ID: it.ID, Subject: it.Subject, Size: it.Size, State: it.State, LastError: it.LastError})
		case OutboxSent:
			if it.LastError != "" {
				l.SentCopyFailed = append(l.SentCopyFailed, OutboxProblem{ID: it.ID, Subject: it.Subject, Size: it.Size, State: it.State, LastError: it.LastError})
			}
		}
	}
	diagnoseLocal(l, r.Outgoing, r.Incoming)
	if c.NeedsSignIn(a.ID) {
		l.SignIn = true
		// First: nothing else reaches the servers until it is done.
		l.Diagnoses = append([]HealthDiagnosis{{Code: HealthDiagSignIn,
			Summary:  "Sign in again: the provider no longer accepts Tern's permission (revoked, expired or after a password change).",
			Evidence: "the provider refused to renew the sign-in",
			Fix:      "Sign in again in your browser (on the command line: tern account reauth " + a.ID + "); sync and the outbox resume then, and nothing is lost.",
			Action:   &HealthAction{Kind: HealthSignIn, Label: "Sign in again"}}}, l.Diagnoses...)
	}
	return nil
}

// diagnoseLocal recognises, from the outbox's and the pending actions'
// errors, a message over the server's size and a mailbox over quota.
func diagnoseLocal(l *LocalHealth, smtpSrv, imapSrv *HealthServer) {
	seen := map[string]bool{}
	add := func(d HealthDiagnosis) {
		if !seen[d.Code] {
			seen[d.Code] = true
			l.Diagnoses = append(l.Diagnoses, d)
		}
	}
	for _, p := range l.OutboxFailed {
		words := strings.ToLower(p.LastError)
		tooBig := smtpSrv.SizeLimit > 0 && p.Size > smtpSrv.SizeLimit ||
			strings.Contains(words, "5.3.4") || strings.Contains(words, "size exceeds") || strings.Contains(words, "too big") || strings.Contains(words, "too large")
		switch {
		case tooBig:
			limit := "the server's limit"
			if smtpSrv.SizeLimit > 0 {
				limit = fmt.Sprintf("the %s the server accepts", sizeWords(smtpSrv.SizeLimit))
			}
			add(HealthDiagnosis{Code: health.DiagTooBig,
				Summary:  fmt.Sprintf("The message %q (%s) is bigger than %s.", p.Subject, sizeWords(p.Size), limit),
				Evidence: "the server said: " + p.LastError,
				Fix:      "Send the attachments as a link, or split them over several messages.",
			})
		case strings.Contains(words, "5.2.2") || strings.Contains(words, "quota") || strings.Contains(words, "mailbox full"):
			add(overQuota(p.LastError))
		}
	}
	for _, p := range l.SentCopyFailed {
		if strings.Contains(strings.ToLower(p.LastError), "quota") {
			add(overQuota(p.LastError))
		}
	}
	if w := strings.ToLower(l.PendingLastError); strings.Contains(w, "quota") {
		add(overQuota(l.PendingLastError))
	}
}

func overQuota(words string) HealthDiagnosis {
	return HealthDiagnosis{Code: health.DiagOverQuota,
		Summary:  "The mailbox is full: the server refuses to store more.",
		Evidence: "the server said: " + words,
		Fix:      "Delete or archive large messages, empty Trash, or get more space from your provider.",
		Action:   &HealthAction{Kind: health.ActionFreeSpace, Label: "Show the largest messages"}}
}

func sizeWords(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// SwitchEndpoint applies a health report's ActionSwitchEndpoint: it sets
// account's server for protocol ("IMAP" or "SMTP") to ep's host, port and
// security, keeping the user name and the sign-in method, saves the
// account (UpdateAccount: the sync restarts with it) and checks the
// account again, returning the new report.
func (c *Core) SwitchEndpoint(ctx context.Context, account, protocol string, ep accounts.Endpoint, opts *HealthOptions) (*HealthReport, error) {
	a, ok := c.Account(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	a = a.Clone()
	var target *accounts.Endpoint
	switch strings.ToUpper(protocol) {
	case "IMAP":
		target = &a.IMAP
	case "SMTP":
		target = &a.SMTP
	default:
		return nil, fmt.Errorf("unknown protocol %q (want IMAP or SMTP)", protocol)
	}
	target.Host, target.Port, target.Security = ep.Host, ep.Port, ep.Security
	if err := c.UpdateAccount(ctx, a, "", nil); err != nil {
		return nil, err
	}
	return c.Health(ctx, account, opts)
}

// FewerConnections applies a health report's ActionFewerConnections: it
// sets account's sync to keep one connection (sync.connections = 1 in
// accounts.toml), saves the account (the sync restarts with it) and checks
// the account again, returning the new report.
func (c *Core) FewerConnections(ctx context.Context, account string, opts *HealthOptions) (*HealthReport, error) {
	a, ok := c.Account(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	a = a.Clone()
	a.Sync.Connections = 1
	if err := c.UpdateAccount(ctx, a, "", nil); err != nil {
		return nil, err
	}
	return c.Health(ctx, account, opts)
}
