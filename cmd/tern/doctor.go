package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
)

// errProblems is returned, after the report is printed, when a check failed.
var errProblems = errors.New("problems found (see the report)")

type doctorJSON struct {
	OK       bool         `json:"ok"`
	Accounts []healthJSON `json:"accounts"`
}

type healthJSON struct {
	Account   string          `json:"account"`
	Email     string          `json:"email"`
	Checked   string          `json:"checked"`
	OK        bool            `json:"ok"`
	Incoming  serverJSON      `json:"incoming"`
	Outgoing  serverJSON      `json:"outgoing"`
	Local     localJSON       `json:"local"`
	Diagnoses []diagnosisJSON `json:"diagnoses"`
}

type serverJSON struct {
	Protocol       string          `json:"protocol"`
	Host           string          `json:"host"`
	Port           int             `json:"port"`
	Security       string          `json:"security"`
	Addresses      []string        `json:"addresses"`
	Steps          []stepJSON      `json:"steps"`
	TLS            *tlsJSON        `json:"tls"`
	Capabilities   []capJSON       `json:"capabilities"`
	AuthMechanisms []string        `json:"auth_mechanisms"`
	SizeLimit      int64           `json:"size_limit"`
	Quota          []quotaJSON     `json:"quota"`
	Alternates     []alternateJSON `json:"alternates"`
	ServerTime     string          `json:"server_time,omitempty"`
	ClockSkewS     int64           `json:"clock_skew_s,omitempty"`
	Error          string          `json:"error,omitempty"`
}

type stepJSON struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	Detail    string `json:"detail"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

type tlsJSON struct {
	Version       string `json:"version"`
	Subject       string `json:"subject"`
	Issuer        string `json:"issuer"`
	NotAfter      string `json:"not_after"`
	ExpiresInDays int    `json:"expires_in_days"`
	HostnameMatch bool   `json:"hostname_match"`
	Verified      bool   `json:"verified"`
	Pinned        bool   `json:"pinned"`
	SHA256        string `json:"sha256"`
}

type capJSON struct {
	Name    string `json:"name"`
	Present bool   `json:"present"`
	Detail  string `json:"detail,omitempty"`
	Cost    string `json:"cost,omitempty"`
}

type quotaJSON struct {
	Root     string  `json:"root"`
	Resource string  `json:"resource"`
	Usage    int64   `json:"usage"`
	Limit    int64   `json:"limit"`
	Percent  float64 `json:"percent"`
}

type alternateJSON struct {
	Server string `json:"server"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

type localJSON struct {
	Sync             string           `json:"sync"`
	SignIn           bool             `json:"sign_in"`
	SyncSince        string           `json:"sync_since,omitempty"`
	SyncError        string           `json:"sync_error,omitempty"`
	Push             bool             `json:"push"`
	LastSynced       string           `json:"last_synced,omitempty"`
	OldestSynced     string           `json:"oldest_synced,omitempty"`
	LastFullSync     string           `json:"last_full_sync,omitempty"`
	FullSyncMillis   int64            `json:"full_sync_ms"`
	Folders          int              `json:"folders"`
	SyncedFolders    int              `json:"synced_folders"`
	Pending          int              `json:"pending_actions"`
	OldestPending    string           `json:"oldest_pending,omitempty"`
	PendingLastError string           `json:"pending_last_error,omitempty"`
	OutboxWaiting    int              `json:"outbox_waiting"`
	OutboxFailed     []outboxFailJSON `json:"outbox_failed"`
	SentCopyFailed   []outboxFailJSON `json:"sent_copy_failed"`
	MissingBodies    int              `json:"bodies_not_downloaded"`
}

type outboxFailJSON struct {
	ID        int64  `json:"id"`
	Subject   string `json:"subject"`
	Size      int64  `json:"size"`
	State     string `json:"state"`
	LastError string `json:"last_error"`
}

type diagnosisJSON struct {
	Code     string      `json:"code"`
	Where    string      `json:"where"` // incoming, outgoing or local
	Summary  string      `json:"summary"`
	Evidence string      `json:"evidence"`
	Fix      string      `json:"fix"`
	Action   *actionJSON `json:"action"`
}

type actionJSON struct {
	Kind        string `json:"kind"`
	Label       string `json:"label"`
	Server      string `json:"server,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func serverOut(s *app.HealthServer) serverJSON {
	j := serverJSON{Protocol: s.Protocol, Host: s.Endpoint.Host, Port: s.Endpoint.Port, Security: string(s.Endpoint.Security),
		Addresses: nonNil(s.Addresses), AuthMechanisms: nonNil(s.AuthMechanisms), SizeLimit: s.SizeLimit,
		Steps: []stepJSON{}, Capabilities: []capJSON{}, Quota: []quotaJSON{}, Alternates: []alternateJSON{}}
	if !s.ServerTime.IsZero() {
		j.ServerTime, j.ClockSkewS = when(s.ServerTime), int64(s.ClockSkew/time.Second)
	}
	for _, st := range s.Steps {
		j.Steps = append(j.Steps, stepJSON{Name: st.Name, Status: string(st.Status), Detail: st.Detail, ElapsedMS: st.Elapsed.Milliseconds()})
	}
	if t := s.TLS; t != nil {
		j.TLS = &tlsJSON{Version: t.Version, Subject: t.Subject, Issuer: t.Issuer, NotAfter: when(t.NotAfter), ExpiresInDays: t.ExpiresInDays,
			HostnameMatch: t.HostnameMatch, Verified: t.Verified, Pinned: t.Pinned, SHA256: t.SHA256}
	}
	for _, c := range s.Capabilities {
		j.Capabilities = append(j.Capabilities, capJSON{Name: c.Name, Present: c.Present, Detail: c.Detail, Cost: c.Cost})
	}
	for _, q := range s.Quotas {
		j.Quota = append(j.Quota, quotaJSON{Root: q.Root, Resource: q.Resource, Usage: q.Usage, Limit: q.Limit, Percent: q.Percent()})
	}
	for _, a := range s.Alternates {
		j.Alternates = append(j.Alternates, alternateJSON{Server: a.Endpoint.String(), OK: a.OK, Detail: a.Detail})
	}
	if s.Err != nil {
		j.Error = s.Err.Error()
	}
	return j
}

func diagnosisOut(where string, d app.HealthDiagnosis) diagnosisJSON {
	j := diagnosisJSON{Code: d.Code, Where: where, Summary: d.Summary, Evidence: d.Evidence, Fix: d.Fix}
	if a := d.Action; a != nil {
		j.Action = &actionJSON{Kind: a.Kind, Label: a.Label, Fingerprint: a.Fingerprint}
		if a.Endpoint != nil {
			j.Action.Server = a.Endpoint.String()
		}
	}
	return j
}

// allDiagnoses lists a report's diagnoses with where each was found.
func allDiagnoses(r *app.HealthReport) []diagnosisJSON {
	out := []diagnosisJSON{}
	for _, d := range r.Incoming.Diagnoses {
		out = append(out, diagnosisOut("incoming", d))
	}
	for _, d := range r.Outgoing.Diagnoses {
		out = append(out, diagnosisOut("outgoing", d))
	}
	for _, d := range r.Local.Diagnoses {
		out = append(out, diagnosisOut("local", d))
	}
	return out
}

func healthOut(r *app.HealthReport) healthJSON {
	l := r.Local
	j := healthJSON{Account: r.Account, Email: r.Email, Checked: when(r.Checked), OK: !r.Failed(),
		Incoming: serverOut(r.Incoming), Outgoing: serverOut(r.Outgoing), Diagnoses: allDiagnoses(r),
		Local: localJSON{Sync: l.Sync, SignIn: l.SignIn, SyncSince: when(l.SyncSince), SyncError: l.SyncError, Push: l.Push,
			LastSynced: when(l.LastSynced), OldestSynced: when(l.OldestSynced),
			LastFullSync: when(l.LastFullSync), FullSyncMillis: l.FullSyncDuration.Milliseconds(), Folders: l.Folders, SyncedFolders: l.SyncedFolders,
			Pending: l.Pending, OldestPending: when(l.OldestPending), PendingLastError: l.PendingLastError,
			OutboxWaiting: l.OutboxWaiting, OutboxFailed: []outboxFailJSON{}, SentCopyFailed: []outboxFailJSON{}, MissingBodies: l.MissingBodies}}
	for _, p := range l.OutboxFailed {
		j.Local.OutboxFailed = append(j.Local.OutboxFailed, outboxFailJSON{ID: p.ID, Subject: p.Subject, Size: p.Size, State: p.State, LastError: p.LastError})
	}
	for _, p := range l.SentCopyFailed {
		j.Local.SentCopyFailed = append(j.Local.SentCopyFailed, outboxFailJSON{ID: p.ID, Subject: p.Subject, Size: p.Size, State: p.State, LastError: p.LastError})
	}
	return j
}

// cmdDoctor checks the accounts' servers and state and prints the report;
// it fails when a step failed or a problem was diagnosed.
func cmdDoctor(ctx context.Context, core *app.Core, a *args, e *env) error {
	list := core.Accounts()
	if a.str("account") != "" {
		acct, err := pickAccount(core, a)
		if err != nil {
			return err
		}
		list = []accounts.Account{acct}
	}
	if len(list) == 0 {
		return fmt.Errorf("no account yet: add one with tern account add")
	}
	var trace *app.HealthTrace
	if a.str("trace") != "" {
		trace = app.NewHealthTrace(0)
	}
	var reports []*app.HealthReport
	for _, acct := range list {
		r, err := core.Health(ctx, acct.ID, &app.HealthOptions{Trace: trace})
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if trace != nil {
		if err := writeTrace(a.str("trace"), trace); err != nil {
			return err
		}
	}
	failed := false
	j := doctorJSON{Accounts: []healthJSON{}}
	for _, r := range reports {
		failed = failed || r.Failed()
		j.Accounts = append(j.Accounts, healthOut(r))
	}
	j.OK = !failed
	if err := out(e, a, j, func(w io.Writer) {
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(w)
			}
			printHealth(w, r, j.Accounts[i].Diagnoses)
		}
	}); err != nil {
		return err
	}
	if failed {
		return errProblems
	}
	return nil
}

// writeTrace writes the redacted protocol log to path, readable by the
// user only.
func writeTrace(path string, t *app.HealthTrace) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	if _, err := t.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("trace: %w", err)
	}
	return f.Close()
}
