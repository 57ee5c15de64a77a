package accounts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// FormatVersion is the accounts.toml format version this package reads and
// writes.
const FormatVersion = 1

// Config is the content of accounts.toml. Config is not safe for concurrent
// use: callers serialise access (or work on separate copies from Load).
type Config struct {
	// Version is the file format version; 0 is read as FormatVersion and
	// Save always writes FormatVersion.
	Version  int       `toml:"version"`
	Accounts []Account `toml:"accounts"`
}

const fileHeader = "# Tern accounts. This file holds no passwords: they are kept in the OS keychain.\n\n"

// Load reads the configuration at path. A missing file gives an empty
// configuration and no error. Syntax and type errors name the file and line
// ("…/accounts.toml:12: …"); a file written by a newer Tern (a higher
// Version) is refused with an error saying so; unknown keys are refused
// (they are likely typos, and passwords do not belong here); every account is
// validated.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Version: FormatVersion}, nil
	}
	if err != nil {
		return nil, err
	}

	// Look at the version before decoding the rest, so that a file from a
	// newer Tern gets a version error rather than a confusing field error.
	var head struct {
		Version int `toml:"version"`
	}
	if _, err := toml.Decode(string(data), &head); err != nil {
		return nil, tomlError(path, data, err)
	}
	if head.Version > FormatVersion {
		return nil, fmt.Errorf("%s: format version %d was written by a newer Tern; this version reads version %d (upgrade Tern)", path, head.Version, FormatVersion)
	}
	if head.Version < 0 {
		return nil, fmt.Errorf("%s: invalid format version %d", path, head.Version)
	}

	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, tomlError(path, data, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		loc := path
		if line := findKeyLine(data, k[len(k)-1]); line > 0 {
			loc = fmt.Sprintf("%s:%d", path, line)
		}
		last := strings.ToLower(k[len(k)-1])
		if strings.Contains(last, "pass") || strings.Contains(last, "secret") || strings.Contains(last, "token") {
			return nil, fmt.Errorf("%s: key %q is not allowed: passwords are kept in the OS keychain, never in this file", loc, k.String())
		}
		return nil, fmt.Errorf("%s: unknown key %q", loc, k.String())
	}
	c.Version = FormatVersion
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

var tomlLineRE = regexp.MustCompile(`^toml: line (\d+)(?: \(last key "[^"]*"\))?: (.*)$`)

// tomlError rewrites a decoding error as "path:line: message".
func tomlError(path string, data []byte, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg = fmt.Sprintf("%s (key %q)", msg, pe.LastKey)
		}
		return fmt.Errorf("%s:%d: %s", path, pe.Position.Line, msg)
	}
	if m := tomlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", path, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
}

// findKeyLine returns the first line (1-based) that assigns key, or 0. It is
// a best effort for locating unknown keys, which the TOML decoder reports
// without a position.
func findKeyLine(data []byte, key string) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		for _, k := range []string{key, strconv.Quote(key), "'" + key + "'"} {
			if rest, ok := strings.CutPrefix(line, k); ok && strings.HasPrefix(strings.TrimSpace(rest), "=") {
				return n
			}
			if strings.HasPrefix(line, "[") && strings.HasSuffix(strings.TrimRight(line, "]"), "."+k) {
				return n
			}
		}
	}
	return 0
}

func (c *Config) validate() error {
	ids := make(map[string]bool)
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if err := a.Validate(); err != nil {
			if a.ID != "" {
				return fmt.Errorf("account %q: %w", a.ID, err)
			}
			return fmt.Errorf("account %d: %w", i+1, err)
		}
		if ids[a.ID] {
			return fmt.Errorf("account %q: duplicate id", a.ID)
		}
		ids[a.ID] = true
	}
	return nil
}

// Save writes the configuration to path atomically: it writes a temporary
// file in the same directory with mode 0600, syncs it, renames it over path
// and syncs the directory. The directory is created with mode 0700 if
// missing. An invalid configuration is not written.
func (c *Config) Save(path string) (err error) {
	if err := c.validate(); err != nil {
		return fmt.Errorf("not saving %s: %w", path, err)
	}
	out := Config{Version: FormatVersion, Accounts: c.Accounts}
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	if err := toml.NewEncoder(&buf).Encode(out); err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable. Some file systems cannot sync directories;
	// the data itself is already on disk, so that is not an error.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Add validates a and appends it. When a.ID is empty it is derived from the
// email address ("alice@example.com" → "alice-example-com", with "-2", "-3"…
// on a clash). Empty IMAP/SMTP usernames default to the email address and
// empty auth to AuthPlain. Add refuses an ID already in use and a second
// account with the same email address and IMAP host (case-insensitive). It
// returns a copy of the stored account.
func (c *Config) Add(a Account) (Account, error) {
	a = a.Clone()
	a.Email = strings.TrimSpace(a.Email)
	for _, e := range []*Endpoint{&a.IMAP, &a.SMTP} {
		if e.Username == "" {
			e.Username = a.Email
		}
		if e.Auth == "" {
			e.Auth = AuthPlain
		}
	}
	if a.ID == "" {
		if err := validateEmail(a.Email); err != nil {
			return Account{}, fmt.Errorf("email: %w", err)
		}
		base := idFromEmail(a.Email)
		a.ID = base
		for n := 2; c.has(a.ID); n++ {
			a.ID = base + "-" + strconv.Itoa(n)
		}
	} else if c.has(a.ID) {
		return Account{}, fmt.Errorf("account id %q already in use", a.ID)
	}
	if err := a.Validate(); err != nil {
		return Account{}, err
	}
	for _, o := range c.Accounts {
		if strings.EqualFold(o.Email, a.Email) && strings.EqualFold(o.IMAP.Host, a.IMAP.Host) {
			return Account{}, fmt.Errorf("account %q already uses %s on %s", o.ID, a.Email, a.IMAP.Host)
		}
	}
	c.Accounts = append(c.Accounts, a)
	return a.Clone(), nil
}

func (c *Config) has(id string) bool {
	_, ok := c.index(id)
	return ok
}

func (c *Config) index(id string) (int, bool) {
	for i := range c.Accounts {
		if c.Accounts[i].ID == id {
			return i, true
		}
	}
	return -1, false
}

// Remove deletes the account with the given ID and returns it. It does not
// touch the account's secrets; delete those through Secrets.
func (c *Config) Remove(id string) (Account, error) {
	i, ok := c.index(id)
	if !ok {
		return Account{}, fmt.Errorf("no account %q", id)
	}
	a := c.Accounts[i]
	// Build a new slice so that earlier copies of c.Accounts stay intact.
	c.Accounts = append(c.Accounts[:i:i], c.Accounts[i+1:]...)
	return a, nil
}

// Find returns a copy of the account with the given ID.
func (c *Config) Find(id string) (Account, bool) {
	i, ok := c.index(id)
	if !ok {
		return Account{}, false
	}
	return c.Accounts[i].Clone(), true
}
