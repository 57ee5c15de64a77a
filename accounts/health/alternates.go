package health

import (
	"context"
	"fmt"

	"github.com/ternmail/tern/accounts"
)

// standardPorts are the ports a protocol is served on, with their security.
var standardPorts = map[string][]accounts.Endpoint{
	"IMAP": {{Port: 993, Security: accounts.SecurityTLS}, {Port: 143, Security: accounts.SecuritySTARTTLS}},
	"SMTP": {{Port: 465, Security: accounts.SecurityTLS}, {Port: 587, Security: accounts.SecuritySTARTTLS}},
}

func other(sec accounts.Security) accounts.Security {
	if sec == accounts.SecurityTLS {
		return accounts.SecuritySTARTTLS
	}
	return accounts.SecurityTLS
}

// alternates probes the other security on the same port and the other
// standard ports of the same server after srv failed to connect, with
// recheck (the same check, without signing in and without alternates),
// and diagnoses from what answers.
func alternates(ctx context.Context, srv *Server, plainOnTLS, silent bool, recheck func(accounts.Endpoint) *Server) {
	connect, ok := srv.Step(StepConnect)
	if !ok {
		return // the name did not resolve: no other port will help
	}
	refused := connect.Status == StatusFail && contains(connect.Detail, "refused")
	timedOut := connect.Status == StatusFail && !refused
	if !refused && !timedOut && !plainOnTLS && !silent {
		return // it connected and spoke: the failure is not the port's
	}
	try := func(ep accounts.Endpoint) bool {
		s := recheck(ep)
		alt := Alternate{Endpoint: ep, OK: !s.Failed()}
		for _, st := range s.Steps {
			if st.Status == StatusFail {
				alt.Detail = st.Name + ": " + st.Detail
				break
			}
		}
		srv.Alternates = append(srv.Alternates, alt)
		return alt.OK
	}
	ep := srv.Endpoint
	if (plainOnTLS || silent) && ep.Security != accounts.SecurityNone {
		alt := ep
		alt.Security = other(ep.Security)
		if try(alt) {
			srv.diagnose(Diagnosis{Code: DiagSecurityMismatch,
				Summary:  fmt.Sprintf("Port %d of %s speaks %s, but the account is set to %s.", ep.Port, ep.Host, secWords(alt.Security), secWords(ep.Security)),
				Evidence: mismatchEvidence(ep, plainOnTLS),
				Fix:      fmt.Sprintf("Set the %s security to %s for port %d.", srv.Protocol, secName(alt.Security), ep.Port),
				Action:   &Action{Kind: ActionSwitchEndpoint, Label: useLabel(alt), Endpoint: &alt}})
			return
		}
	}
	for _, std := range standardPorts[srv.Protocol] {
		if std.Port == ep.Port {
			continue
		}
		alt := ep
		alt.Port, alt.Security = std.Port, std.Security
		if !try(alt) {
			continue
		}
		act := &Action{Kind: ActionSwitchEndpoint, Label: useLabel(alt), Endpoint: &alt}
		if refused {
			srv.diagnose(Diagnosis{Code: DiagRefused, Evidence: "port " + itoa(ep.Port) + ": " + connect.Detail,
				Summary: fmt.Sprintf("Port %d of %s refuses connections; port %d of the same server answers.", ep.Port, ep.Host, alt.Port),
				Fix:     fmt.Sprintf("Use port %d with %s.", alt.Port, secName(alt.Security)), Action: act})
			return
		}
		srv.diagnose(Diagnosis{Code: DiagPortBlocked, Evidence: "port " + itoa(ep.Port) + ": " + failedDetail(srv),
			Summary: fmt.Sprintf("This network may block port %d; port %d of the same server answers.", ep.Port, alt.Port),
			Fix:     fmt.Sprintf("Use port %d with %s (or ask the network's owner to allow port %d).", alt.Port, secName(alt.Security), ep.Port),
			Action:  act})
		return
	}
	if refused {
		srv.diagnose(Diagnosis{Code: DiagRefused, Evidence: connect.Detail,
			Summary: fmt.Sprintf("%s refuses connections on every mail port tried.", ep.Host),
			Fix:     "Check the server name and port with your provider; the server may be down.",
			Action:  &Action{Kind: ActionRetry, Label: "Check again"}})
		return
	}
	srv.diagnose(Diagnosis{Code: DiagNoAnswer, Evidence: failedDetail(srv),
		Summary: fmt.Sprintf("%s does not answer on port %d, nor on the other mail ports.", ep.Host, ep.Port),
		Fix:     "The server may be down, or this network blocks mail: try another network, or later.",
		Action:  &Action{Kind: ActionRetry, Label: "Check again"}})
}

// secName names a security setting as the account settings show it.
func secName(s accounts.Security) string {
	switch s {
	case accounts.SecurityTLS:
		return "TLS"
	case accounts.SecuritySTARTTLS:
		return "STARTTLS"
	}
	return "no encryption"
}

// useLabel is the words of the button that switches to ep.
func useLabel(ep accounts.Endpoint) string {
	return fmt.Sprintf("Use port %d with %s and check again", ep.Port, secName(ep.Security))
}

func secWords(s accounts.Security) string {
	switch s {
	case accounts.SecurityTLS:
		return "TLS from the first byte"
	case accounts.SecuritySTARTTLS:
		return "plaintext first, then STARTTLS"
	}
	return "plaintext"
}

func mismatchEvidence(ep accounts.Endpoint, plainOnTLS bool) string {
	if plainOnTLS {
		return fmt.Sprintf("a TLS handshake on port %d got a plaintext greeting back; STARTTLS on the same port works", ep.Port)
	}
	return fmt.Sprintf("port %d sent no greeting (it waits for a TLS handshake); TLS on the same port works", ep.Port)
}

func failedDetail(srv *Server) string {
	for _, st := range srv.Steps {
		if st.Status == StatusFail {
			return st.Name + ": " + st.Detail
		}
	}
	return ""
}
