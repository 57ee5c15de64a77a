package accounts

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testAccount(email, imapHost string) Account {
	return Account{
		Name:  "Test",
		Email: email,
		IMAP:  Endpoint{Host: imapHost, Port: 993, Security: SecurityTLS},
		SMTP:  Endpoint{Host: "smtp.example.com", Port: 587, Security: SecuritySTARTTLS},
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	var c Config
	a := testAccount("alice@example.com", "imap.example.com")
	a.Identities = []Identity{
		{Name: "Alice", Email: "alice@example.com", Signature: "-- \nAlice\n", Aliases: []string{"a@example.com"}},
		{Name: "Alice (work)", Email: "alice@work.example"},
	}
	a.Folders = map[string]string{RoleSent: "Sent Items", RoleJunk: "[Gmail]/Spam"}
	a.Sync = SyncSettings{PollSeconds: 120, BodiesMaxAgeDays: 30}
	if err := a.TrustCert("IMAP.example.com", 993, strings.ToLower("SHA256:"+strings.Repeat("AB", 32))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(a); err != nil {
		t.Fatal(err)
	}
	b := testAccount("bob@example.org", "[::1]")
	b.IMAP = Endpoint{Host: "::1", Port: 143, Security: SecurityNone, Username: "bob", Auth: AuthPlain}
	if _, err := c.Add(b); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "tern")
	path := filepath.Join(dir, "accounts.toml")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	// Save again over the existing file: still atomic, still clean.
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}

	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o600 {
		t.Errorf("file mode %o, want 600", m)
	}
	dst, _ := os.Stat(dir)
	if m := dst.Mode().Perm(); m != 0o700 {
		t.Errorf("dir mode %o, want 700", m)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "accounts.toml" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only accounts.toml (no temp files)", names)
	}

	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Version: FormatVersion, Accounts: c.Accounts}
	if !reflect.DeepEqual(*got, want) {
		data, _ := os.ReadFile(path)
		t.Fatalf("round trip differs\n got: %+v\nwant: %+v\nfile:\n%s", *got, want, data)
	}
	if pin := got.Accounts[0].PinFor("imap.example.com", 993); pin != "SHA256:"+strings.Repeat("AB", 32) {
		t.Errorf("PinFor = %q", pin)
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.toml")
	c := Config{Accounts: []Account{testAccount("alice@example.com", "imap.example.com")}} // no ID
	if err := c.Save(path); err == nil {
		t.Fatal("saved an account without an ID")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file written anyway: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "nope", "accounts.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != FormatVersion || len(c.Accounts) != 0 {
		t.Fatalf("got %+v", c)
	}
}

const goodFile = `version = 1

[[accounts]]
id = "alice"
email = "alice@example.com"

[accounts.imap]
host = "imap.example.com"
port = 993
security = "tls"

[accounts.smtp]
host = "smtp.example.com"
port = 587
security = "starttls"
`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"syntax", `port = 993`, `port = 993 x`, []string{"accounts.toml:9:"}},
		{"unterminated string", `host = "imap.example.com"`, `host = "imap.example.com`, []string{"accounts.toml:8:"}},
		{"type", `port = 993`, `port = "993"`, []string{"accounts.toml:9:"}},
		{"unknown key", `security = "starttls"`, "security = \"starttls\"\nprot = 25", []string{"accounts.toml:16:", `unknown key "accounts.smtp.prot"`}},
		{"password", `port = 993`, "port = 993\npassword = \"hunter2\"", []string{"accounts.toml:10:", "OS keychain"}},
		{"newer version", `version = 1`, `version = 2`, []string{"accounts.toml", "newer Tern", "version 2"}},
		{"bad port", `port = 993`, `port = 99999`, []string{`account "alice": imap: port 99999 out of range`}},
		{"bad security", `security = "tls"`, `security = "ssl"`, []string{`imap: unknown security "ssl"`}},
		{"bad id", `id = "alice"`, `id = "Alice Smith"`, []string{`account "Alice Smith": id`, "only lowercase"}},
		{"duplicate id", `version = 1`, "version = 1\n[[accounts]]\nid = \"alice\"\nemail = \"a@b.c\"\nimap = {host = \"h\", port = 993, security = \"tls\"}\nsmtp = {host = \"h\", port = 465, security = \"tls\"}\n", []string{`"alice": duplicate id`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(goodFile, tt.old) {
				t.Fatalf("test bug: %q not in file", tt.old)
			}
			path := filepath.Join(t.TempDir(), "accounts.toml")
			os.WriteFile(path, []byte(strings.Replace(goodFile, tt.old, tt.new, 1)), 0o600)
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
	// The unmodified file loads.
	path := filepath.Join(t.TempDir(), "accounts.toml")
	os.WriteFile(path, []byte(goodFile), 0o600)
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
}

func TestAddIDs(t *testing.T) {
	var c Config
	add := func(a Account) Account {
		t.Helper()
		got, err := c.Add(a)
		if err != nil {
			t.Fatalf("Add(%s): %v", a.Email, err)
		}
		return got
	}
	a := add(testAccount("alice@example.com", "imap.example.com"))
	if a.ID != "alice-example-com" {
		t.Errorf("ID = %q", a.ID)
	}
	if a.IMAP.Username != "alice@example.com" || a.SMTP.Auth != AuthPlain {
		t.Errorf("defaults not filled: %+v", a)
	}
	// Same address on another server: allowed, new ID.
	if id := add(testAccount("alice@example.com", "imap2.example.com")).ID; id != "alice-example-com-2" {
		t.Errorf("second ID = %q", id)
	}
	if id := add(testAccount("Alice@Example.com", "imap3.example.com")).ID; id != "alice-example-com-3" {
		t.Errorf("third ID = %q", id)
	}
	if id := add(testAccount("Bob.Smith+tern@mail.example.co.uk", "imap.example.com")).ID; id != "bob-smith-tern-mail-example-co-uk" {
		t.Errorf("ID = %q", id)
	}
	long := add(testAccount(strings.Repeat("x", 60)+"@"+strings.Repeat("y", 60)+".example", "imap.example.com"))
	if err := ValidateID(long.ID); err != nil {
		t.Errorf("long ID: %v", err)
	}

	// Same address and IMAP host: refused, whatever the case.
	if _, err := c.Add(testAccount("ALICE@example.com", "IMAP.example.com")); err == nil || !strings.Contains(err.Error(), "alice-example-com") {
		t.Errorf("duplicate accepted or unclear: %v", err)
	}
	// Explicit ID in use.
	dup := testAccount("carol@example.com", "imap.example.com")
	dup.ID = "alice-example-com"
	if _, err := c.Add(dup); err == nil {
		t.Error("duplicate ID accepted")
	}
	// Invalid accounts.
	bad := testAccount("not an address", "imap.example.com")
	if _, err := c.Add(bad); err == nil {
		t.Error("bad email accepted")
	}
	bad = testAccount("dave@example.com", "imap.example.com")
	bad.SMTP.Port = 0
	if _, err := c.Add(bad); err == nil || !strings.Contains(err.Error(), "smtp: port 0 out of range") {
		t.Errorf("bad port: %v", err)
	}
	bad = testAccount("dave@example.com", "imap.example.com")
	bad.Folders = map[string]string{"sentt": "Sent"}
	if _, err := c.Add(bad); err == nil || !strings.Contains(err.Error(), `unknown role "sentt"`) {
		t.Errorf("bad folder role: %v", err)
	}
	if len(c.Accounts) != 5 {
		t.Errorf("%d accounts, want 5", len(c.Accounts))
	}
}

func TestRemoveFind(t *testing.T) {
	var c Config
	for _, e := range []string{"a@x.example", "b@x.example", "c@x.example"} {
		if _, err := c.Add(testAccount(e, "imap.x.example")); err != nil {
			t.Fatal(err)
		}
	}
	b, ok := c.Find("b-x-example")
	if !ok || b.Email != "b@x.example" {
		t.Fatalf("Find = %+v, %v", b, ok)
	}
	// Find returns a copy.
	b.Folders = map[string]string{RoleSent: "X"}
	b.Name = "changed"
	if again, _ := c.Find("b-x-example"); again.Name != "Test" || again.Folders != nil {
		t.Error("Find result aliases the config")
	}

	old := c.Accounts
	got, err := c.Remove("b-x-example")
	if err != nil || got.Email != "b@x.example" {
		t.Fatalf("Remove = %+v, %v", got, err)
	}
	if _, ok := c.Find("b-x-example"); ok {
		t.Error("still found after Remove")
	}
	if len(c.Accounts) != 2 || c.Accounts[0].ID != "a-x-example" || c.Accounts[1].ID != "c-x-example" {
		t.Errorf("accounts after Remove: %+v", c.Accounts)
	}
	if old[1].ID != "b-x-example" {
		t.Error("Remove modified the earlier slice")
	}
	if _, err := c.Remove("b-x-example"); err == nil {
		t.Error("second Remove succeeded")
	}
	// The ID is free again.
	if a, err := c.Add(testAccount("b@x.example", "imap.x.example")); err != nil || a.ID != "b-x-example" {
		t.Errorf("re-Add = %q, %v", a.ID, err)
	}
}

func TestParseEndpoint(t *testing.T) {
	good := []struct {
		in   string
		want Endpoint
	}{
		{"imap.example.com:993:tls", Endpoint{Host: "imap.example.com", Port: 993, Security: SecurityTLS}},
		{"smtp.example.com:587:starttls", Endpoint{Host: "smtp.example.com", Port: 587, Security: SecuritySTARTTLS}},
		{"localhost:1143:none", Endpoint{Host: "localhost", Port: 1143, Security: SecurityNone}},
		{" imap.example.com:993:TLS ", Endpoint{Host: "imap.example.com", Port: 993, Security: SecurityTLS}},
		{"[::1]:993:tls", Endpoint{Host: "::1", Port: 993, Security: SecurityTLS}},
		{"127.0.0.1:143:starttls", Endpoint{Host: "127.0.0.1", Port: 143, Security: SecuritySTARTTLS}},
		{"imap.example.com:993", Endpoint{Host: "imap.example.com", Port: 993, Security: SecurityTLS}},
		{"imap.example.com:143", Endpoint{Host: "imap.example.com", Port: 143, Security: SecuritySTARTTLS}},
		{"smtp.example.com:465", Endpoint{Host: "smtp.example.com", Port: 465, Security: SecurityTLS}},
		{"[::1]:587", Endpoint{Host: "::1", Port: 587, Security: SecuritySTARTTLS}},
	}
	for _, tt := range good {
		got, err := ParseEndpoint(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseEndpoint(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if tt.in == "[::1]:993:tls" && (got.Addr() != "[::1]:993" || got.String() != "[::1]:993:tls") {
			t.Errorf("Addr/String = %q/%q", got.Addr(), got.String())
		}
	}
	bad := []struct{ in, want string }{
		{"", "empty"},
		{"imap.example.com", "missing port"},
		{"imap.example.com:99999:tls", "port 99999 out of range"},
		{"imap.example.com:0:tls", "port 0 out of range"},
		{"imap.example.com:abc:tls", `port "abc" is not a number`},
		{"imap.example.com:993:ssl", `unknown security "ssl"`},
		{"imap.example.com:993:", "missing security"},
		{"imap.example.com:1143", "missing security"},
		{"::1:993:tls", "IPv6 addresses need brackets"},
		{":993:tls", "host missing"},
		{"imap example.com:993:tls", "not allowed"},
		{"imap..example.com:993:tls", "empty label"},
	}
	for _, tt := range bad {
		_, err := ParseEndpoint(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseEndpoint(%q) error = %v; want it to contain %q", tt.in, err, tt.want)
		}
	}
}

// TestSecretsNeverInConfig stores passwords through Secrets and checks that
// nothing written to the config directory contains them.
func TestSecretsNeverInConfig(t *testing.T) {
	ctx := context.Background()
	const password = "correct horse battery staple 7e2f"
	var c Config
	a, err := c.Add(testAccount("alice@example.com", "imap.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	fake := newMapBackend()
	stores := map[string]Secrets{
		"memory":   NewMemorySecrets(),
		"keychain": newKeychain(nil, fake),
	}
	for name, s := range stores {
		if err := s.Set(ctx, a.ID, ServerIMAP, password); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := s.Get(ctx, a.ID, ServerIMAP); err != nil || got != password {
			t.Fatalf("%s: Get = %q, %v", name, got, err)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.toml")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), password) {
			t.Errorf("%s contains the password", p)
		}
		return nil
	})
	if len(fake.items) != 1 {
		t.Errorf("keychain holds %d items, want 1", len(fake.items))
	}
}
