package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOAuthSettingsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.toml")
	var c Config
	a, err := c.Add(Account{Email: "alice@gmail.com",
		IMAP:  Endpoint{Host: "imap.gmail.com", Port: 993, Security: SecurityTLS, Auth: AuthOAuth2},
		SMTP:  Endpoint{Host: "smtp.gmail.com", Port: 465, Security: SecurityTLS, Auth: AuthOAuth2},
		OAuth: &OAuthSettings{Provider: OAuthGoogle, ClientID: "id.apps.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `provider = "google"`) || !strings.Contains(string(data), `auth = "oauth2"`) {
		t.Fatalf("saved:\n%s", data)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	b := got.Accounts[0]
	if !b.UsesOAuth() || b.OAuth == nil || b.OAuth.Provider != a.OAuth.Provider || b.OAuth.ClientID != a.OAuth.ClientID {
		t.Fatalf("loaded %+v", b.OAuth)
	}
	cl := b.Clone()
	cl.OAuth.ClientID = "changed"
	if b.OAuth.ClientID == "changed" {
		t.Error("Clone shares the OAuth settings")
	}
}

func TestOAuthSettingsValidate(t *testing.T) {
	base := Account{ID: "a", Email: "a@example.com",
		IMAP: Endpoint{Host: "imap.example.com", Port: 993, Security: SecurityTLS, Auth: AuthOAuth2},
		SMTP: Endpoint{Host: "smtp.example.com", Port: 465, Security: SecurityTLS}}
	for _, tc := range []struct {
		o    *OAuthSettings
		want string
	}{
		{nil, "[oauth] settings are missing"},
		{&OAuthSettings{Provider: "yahoo"}, "unknown provider"},
		{&OAuthSettings{}, "auth_url and token_url are needed"},
		{&OAuthSettings{AuthURL: "http://auth.example.com/a", TokenURL: "https://auth.example.com/t"}, "not an https URL"},
		{&OAuthSettings{AuthURL: "http://127.0.0.1:8080/a", TokenURL: "https://auth.example.com/t"}, ""},
		{&OAuthSettings{Provider: OAuthMicrosoft, ClientID: "x\ny"}, "control character"},
	} {
		a := base
		a.OAuth = tc.o
		err := a.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: err %v, want %q", tc.o, err, tc.want)
		}
	}
}
