package autoconfig

import (
	"fmt"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/oauth"
)

// matchOAuth sets res.OAuth when the servers found belong to a provider
// Tern signs in to with OAuth 2.0: by the winners' host names, whichever
// source named them (the provider table, the MX of a Workspace or 365
// domain, the domain's autoconfig). A winner that autoconfig says takes
// only OAuth2, at a provider Tern has no preset for, gets a note.
func matchOAuth(res *Result) {
	for _, w := range []*Candidate{res.IMAPCandidate, res.SMTPCandidate} {
		if w == nil {
			continue
		}
		if p, ok := oauth.PresetForHost(w.Endpoint.Host); ok {
			res.OAuth = &OAuthMatch{Preset: p.ID, Name: p.Name, Configured: p.Configured(),
				Evidence: fmt.Sprintf("%s is %s's server (%s)", w.Endpoint.Host, p.Name, w.Source)}
			res.Notes = append(res.Notes, "oauth: "+res.OAuth.Evidence)
			if !res.OAuth.Configured {
				res.Notes = append(res.Notes, "oauth: "+(&oauth.NoClientError{Preset: p}).Error())
			}
			return
		}
	}
	for _, w := range []*Candidate{res.IMAPCandidate, res.SMTPCandidate} {
		if w != nil && w.Endpoint.Auth == accounts.AuthOAuth2 {
			res.Notes = append(res.Notes, fmt.Sprintf("oauth: %s signs in with OAuth 2.0 only, and Tern knows no sign-in for it", w.Endpoint.Host))
			return
		}
	}
}

// OAuthMatch says that an account signs in with an OAuth 2.0 preset.
type OAuthMatch struct {
	// Preset is accounts.OAuthGoogle or accounts.OAuthMicrosoft; Name the
	// provider's name for people.
	Preset, Name string
	// Configured reports a client ID for the preset in this build or
	// environment; without one, the sign-in cannot be offered and an app
	// password is the way (oauth.NoClientError says how).
	Configured bool
	// Evidence says why, in one line.
	Evidence string
}
