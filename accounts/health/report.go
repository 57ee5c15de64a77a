// Package health checks an account's mail servers step by step, as a
// person helping with "my mail does not sync" or "my mail does not send"
// would: name resolution, TCP connect, TLS or STARTTLS, greeting,
// capabilities, sign-in and quota. Every step records what it saw and how
// long it took, and the known failure patterns are turned into diagnoses
// in plain words, each from the evidence of a step, with the fix as data
// (an Action) that a window or the command line can offer.
//
// CheckIMAP and CheckSMTP never send mail and change nothing on the
// server. IMAP connections are read through internal/imapguard, as the
// sync engine's are.
package health

import (
	"time"

	"github.com/ternmail/tern/accounts"
)

// Status is the result of one step.
type Status string

// Step results.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn" // it works, with a problem worth knowing
	StatusFail Status = "fail"
	StatusSkip Status = "skip" // not run: an earlier step failed, or nothing to check
)

// Names of the steps, in the order they run.
const (
	StepResolve      = "resolve"
	StepConnect      = "connect"
	StepTLS          = "tls"
	StepGreeting     = "greeting"
	StepCapabilities = "capabilities"
	StepSignIn       = "sign-in"
	StepQuota        = "quota"
)

// Step is one step of a check: what it saw, and how long it took. It is a
// plain value.
type Step struct {
	Name    string
	Status  Status
	Detail  string        // what was seen, in a line
	Elapsed time.Duration // 0 when skipped
}

// TLSInfo describes the TLS session a check made. It is a plain value.
type TLSInfo struct {
	Version       string // "TLS 1.3"
	Subject       string
	Issuer        string
	NotAfter      time.Time
	ExpiresInDays int
	HostnameMatch bool
	Verified      bool   // trusted by the roots
	Pinned        bool   // not trusted by the roots, accepted by the account's pin
	SHA256        string // the leaf's fingerprint
}

// Capability is one server extension that matters to Tern: whether the
// server offers it and, when it does not, what its absence costs.
type Capability struct {
	Name    string
	Present bool
	Detail  string // for SMTP SIZE: the limit; for AUTH: the mechanisms
	Cost    string // what Tern does without it; "" when present
}

// Quota is one resource of a quota root as the server reports it.
type Quota struct {
	Root     string
	Resource string // "STORAGE" (in KiB, as IMAP counts it) or "MESSAGE"
	Usage    int64
	Limit    int64
}

// Percent returns Usage as a share of Limit, 0 when there is no limit.
func (q Quota) Percent() float64 {
	if q.Limit <= 0 {
		return 0
	}
	return 100 * float64(q.Usage) / float64(q.Limit)
}

// Kinds of Action.
const (
	// ActionSwitchEndpoint: use Action.Endpoint instead, which a probe just
	// found working.
	ActionSwitchEndpoint = "switch-endpoint"
	// ActionReenterPassword: enter the password again (or an app password).
	ActionReenterPassword = "reenter-password"
	// ActionReviewCert: review the certificate and pin Action.Fingerprint.
	ActionReviewCert = "review-cert"
	// ActionFewerConnections: let Tern use fewer connections.
	ActionFewerConnections = "fewer-connections"
	// ActionRetry: check again later.
	ActionRetry = "retry"
	// ActionFreeSpace: delete or archive mail to get under the quota.
	ActionFreeSpace = "free-space"
)

// Action is a fix a person can apply with one decision. It is a plain value.
type Action struct {
	Kind        string
	Label       string             // the button's words
	Endpoint    *accounts.Endpoint // for ActionSwitchEndpoint
	Fingerprint string             // for ActionReviewCert
}

// Codes of diagnoses.
const (
	DiagSecurityMismatch = "security-mismatch" // TLS spoken to a STARTTLS port or the reverse
	DiagPortBlocked      = "port-blocked"      // no answer on the port, another port answers
	DiagNoAnswer         = "no-answer"         // no answer, and no other port either
	DiagCertExpired      = "cert-expired"
	DiagCertNotYetValid  = "cert-not-yet-valid"
	DiagCertWrongName    = "cert-wrong-name"
	DiagCertUntrusted    = "cert-untrusted" // self-signed or unknown authority
	DiagAppPassword      = "app-password"
	DiagAuthFailed       = "auth-failed"
	DiagTooManyConns     = "too-many-connections"
	DiagOverQuota        = "over-quota"
	DiagNearQuota        = "near-quota"
	DiagTooBig           = "message-too-big"
	DiagRefused          = "connection-refused"
	DiagNoHost           = "no-such-host"
	DiagClockOff         = "clock-off" // this computer's clock differs from the server's
)

// Diagnosis is a cause recognised from evidence, in plain words, with the
// fix. It is a plain value.
type Diagnosis struct {
	Code     string
	Summary  string // what is wrong, in a sentence
	Evidence string // what was seen that shows it
	Fix      string // what to do, in a sentence
	Action   *Action
}

// Alternate is another way to reach the same server, probed without
// signing in. It is a plain value.
type Alternate struct {
	Endpoint accounts.Endpoint
	OK       bool
	Detail   string // the failed step's words, when not OK
}

// Server is the result of checking one server. It is a plain value once
// returned.
type Server struct {
	Protocol       string // "IMAP" or "SMTP"
	Endpoint       accounts.Endpoint
	Addresses      []string // what the host name resolved to
	Steps          []Step
	TLS            *TLSInfo
	Capabilities   []Capability
	AuthMechanisms []string
	SizeLimit      int64 // SMTP SIZE; 0 when not announced or unlimited
	Quotas         []Quota
	Diagnoses      []Diagnosis
	// ServerTime is the time the server gave in its greeting (zero when it
	// gave none), and ClockSkew this computer's clock minus it.
	ServerTime time.Time
	ClockSkew  time.Duration
	// Alternates are the other securities and ports of the same server
	// probed after a connection failure, in the order tried.
	Alternates []Alternate
	// Err is the first failure, in the accounts vocabulary (ConnectError,
	// CertError, AuthError …) wrapping the server's words; nil when every
	// step passed.
	Err error
}

// Failed reports whether a step failed.
func (s *Server) Failed() bool {
	for _, st := range s.Steps {
		if st.Status == StatusFail {
			return true
		}
	}
	return false
}

// Step returns the step named name, and whether it ran or was recorded.
func (s *Server) Step(name string) (Step, bool) {
	for _, st := range s.Steps {
		if st.Name == name {
			return st, true
		}
	}
	return Step{}, false
}

// Diagnosis returns the diagnosis with code, and whether there is one.
func (s *Server) Diagnosis(code string) (Diagnosis, bool) {
	for _, d := range s.Diagnoses {
		if d.Code == code {
			return d, true
		}
	}
	return Diagnosis{}, false
}

func (s *Server) add(name string, st Status, elapsed time.Duration, detail string) {
	s.Steps = append(s.Steps, Step{Name: name, Status: st, Detail: detail, Elapsed: elapsed})
}

func (s *Server) diagnose(d Diagnosis) {
	if _, dup := s.Diagnosis(d.Code); !dup {
		s.Diagnoses = append(s.Diagnoses, d)
	}
}
