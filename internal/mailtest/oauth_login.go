package mailtest

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	oauthLoginPath   = "/login"
	oauthConsentPath = "/consent"
	oauthSessionName = "mailtest_session"
)

// The login and consent pages are plain forms, so that Browser (or a person)
// can fill them in.
var oauthPages = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><title>Sign in</title></head><body>
<h1>Sign in</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="post" action="` + oauthLoginPath + `">
<input type="hidden" name="id" value="{{.ID}}">
<label>User <input type="text" name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit" name="action" value="login">Sign in</button>
</form>
</body></html>
`))

var oauthConsentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html><head><title>Consent</title></head><body>
<h1>{{.Client}} wants to read and send mail as {{.User}}</h1>
<form method="post" action="` + oauthConsentPath + `">
<input type="hidden" name="id" value="{{.ID}}">
<button type="submit" name="consent" value="allow">Allow</button>
<button type="submit" name="consent" value="deny">Deny</button>
</form>
</body></html>
`))

type oauthPageData struct {
	ID, Error, Client, User string
}

// handleLogin shows the login form (GET) and checks it (POST). A browser
// already signed in (by its session cookie) goes straight to consent.
func (s *OAuthServer) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.Form.Get("id")
	req, ok := s.store.request(id)
	if !ok {
		http.Error(w, "unknown authorization request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodGet {
		if c, err := r.Cookie(oauthSessionName); err == nil {
			if user, ok := s.store.session(c.Value); ok {
				s.store.authenticate(id, user)
				s.showConsent(w, req.clientID, user, id)
				return
			}
		}
		oauthPages.Execute(w, oauthPageData{ID: id})
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	user := r.Form.Get("username")
	if _, ok := s.store.checkPassword(user, r.Form.Get("password")); !ok {
		s.logf("sign-in of %q refused: wrong user name or password", user)
		w.WriteHeader(http.StatusUnauthorized)
		oauthPages.Execute(w, oauthPageData{ID: id, Error: "Wrong user name or password."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthSessionName, Value: s.store.newSession(user), Path: "/", HttpOnly: true})
	s.store.authenticate(id, user)
	s.logf("%s signed in", user)
	s.showConsent(w, req.clientID, user, id)
}

func (s *OAuthServer) showConsent(w http.ResponseWriter, client, user, id string) {
	oauthConsentPage.Execute(w, oauthPageData{ID: id, Client: client, User: user})
}

// handleConsent completes the authorization request: allowed, op issues a
// code and redirects to the client; denied, the client gets
// error=access_denied.
func (s *OAuthServer) handleConsent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.Form.Get("id")
	req, ok := s.store.request(id)
	if !ok || req.GetSubject() == "" {
		http.Error(w, "unknown or unauthenticated authorization request", http.StatusBadRequest)
		return
	}
	if r.Form.Get("consent") != "allow" {
		s.logf("%s denied consent to %s", req.GetSubject(), req.GetClientID())
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("The user denied access."), s.provider)
		return
	}
	s.store.approve(id)
	s.logf("%s allowed %s", req.GetSubject(), req.GetClientID())
	http.Redirect(w, r, s.AuthURL+"/callback?id="+url.QueryEscape(id), http.StatusFound)
}
