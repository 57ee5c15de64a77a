package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/sync/imapsync"
	"github.com/ternmail/tern/sync/outbox"
)

func openSettingsCore(t *testing.T, home string) *Core {
	t.Helper()
	c, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// TestSettingsRoundTrip changes every kind of setting, restarts and reads
// them back, and checks that the file is private and holds what was set.
func TestSettingsRoundTrip(t *testing.T) {
	home := t.TempDir()
	c := openSettingsCore(t, home)
	if got := c.Settings(); !reflect.DeepEqual(got, DefaultSettings()) {
		t.Fatalf("a fresh home's settings %+v, want the defaults", got)
	}
	s := c.Settings()
	s.Theme, s.TextScale, s.Density, s.ReadingPane = ThemeLight, 1.3, DensityCompact, PaneBelow
	s.Conversations, s.Notifications = true, true
	s.QuietAccounts = []string{"work"}
	s.QuietFolders = []FolderRef{{Account: "home", Folder: "Lists/go"}}
	s.RemoteContent, s.UndoSendSeconds, s.PollMinutes = RemoteNever, 12, 7
	s.OfflineBodies, s.OfflineDays = OfflineRecent, 14
	s.CloseToTray, s.Autostart = true, true
	s.Window = WindowState{Width: 1000, Height: 700, FolderSplit: 0.25, ListSplit: 0.5, Folder: FolderRef{Account: "home", Folder: "INBOX"}}
	s.SetSender("Ann@Example.org", SenderChoice{View: ViewPlain, Remote: true})
	var seen []Settings
	stop := c.OnSettingsChanged(func(n Settings) { seen = append(seen, n) })
	if err := c.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	stop()
	if len(seen) != 1 || seen[0].Theme != ThemeLight {
		t.Errorf("OnSettingsChanged saw %d changes (%+v), want the one", len(seen), seen)
	}
	if err := c.SetSettings(s); err != nil || len(seen) != 1 {
		t.Errorf("a stopped callback is still called (%d calls, err %v)", len(seen), err)
	}
	c.Shutdown()

	path := filepath.Join(home, "settings.toml")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("settings.toml mode %v, want 0600", fi.Mode().Perm())
	}
	c = openSettingsCore(t, home)
	got := c.Settings()
	if !reflect.DeepEqual(got, s) {
		t.Errorf("after a restart:\n%+v\nwant\n%+v", got, s)
	}
	if ch := got.Sender("ann@EXAMPLE.org"); ch != (SenderChoice{View: ViewPlain, Remote: true}) {
		t.Errorf("sender choice %+v", ch)
	}
	if got.Notify("work", "INBOX") || got.Notify("home", "Lists/go") || !got.Notify("home", "INBOX") {
		t.Error("Notify does not follow the quiet accounts and folders")
	}
	entries, _ := os.ReadDir(home)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".settings.toml") {
			t.Errorf("a temporary file is left: %s", e.Name())
		}
	}
}

// TestSettingsAtomicReplace checks that a save replaces the file by a new
// one rather than rewriting it in place: a reader that opened the old file
// reads all of it after the save.
func TestSettingsAtomicReplace(t *testing.T) {
	home := t.TempDir()
	c := openSettingsCore(t, home)
	if err := c.UpdateSettings(func(s *Settings) { s.Theme = ThemeDark }); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "settings.toml")
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := c.UpdateSettings(func(s *Settings) { s.Theme = ThemeLight }); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(old)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `theme = "dark"`) {
		t.Errorf("the old file changed under its reader:\n%s", data)
	}
	now, _ := os.ReadFile(path)
	if !strings.Contains(string(now), `theme = "light"`) {
		t.Errorf("the file after the save:\n%s", now)
	}
}

// TestSettingsVersions checks that a newer file is refused in words and
// never overwritten, that a file without a version is migrated, and that
// unknown keys and values are refused.
func TestSettingsVersions(t *testing.T) {
	write := func(t *testing.T, text string) string {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, "settings.toml"), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return home
	}
	t.Run("newer", func(t *testing.T) {
		text := "version = 9\ntheme = \"sepia\"\nhologram = true\n"
		home := write(t, text)
		c := openSettingsCore(t, home)
		err := c.SettingsError()
		if !errors.Is(err, ErrSettingsNewer) || !strings.Contains(err.Error(), "version 9") || !strings.Contains(err.Error(), "upgrade Tern") {
			t.Fatalf("SettingsError = %v, want a newer-version error in words", err)
		}
		if c.Settings().Theme != ThemeSystem {
			t.Errorf("theme %q, want the default while the file is unreadable", c.Settings().Theme)
		}
		if err := c.UpdateSettings(func(s *Settings) { s.Theme = ThemeDark }); !errors.Is(err, ErrSettingsNewer) {
			t.Errorf("UpdateSettings over a newer file: %v, want refused", err)
		}
		if data, _ := os.ReadFile(filepath.Join(home, "settings.toml")); string(data) != text {
			t.Errorf("the newer file was overwritten:\n%s", data)
		}
	})
	t.Run("unversioned", func(t *testing.T) {
		home := write(t, "theme = \"light\"\n[window]\nwidth = 900.0\n")
		c := openSettingsCore(t, home)
		if err := c.SettingsError(); err != nil {
			t.Fatal(err)
		}
		s := c.Settings()
		if s.Version != SettingsVersion || s.Theme != ThemeLight || s.Window.Width != 900 || s.UndoSendSeconds != 5 {
			t.Errorf("migrated %+v, want version %d, light, width 900 and the other defaults", s, SettingsVersion)
		}
	})
	for name, text := range map[string]string{
		"unknown key":   "version = 1\nhologram = true\n",
		"unknown value": "version = 1\ntheme = \"sepia\"\n",
		"bad scale":     "version = 1\ntext_scale = 40.0\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadSettings(filepath.Join(write(t, text), "settings.toml"))
			if err == nil || errors.Is(err, ErrSettingsNewer) || !strings.Contains(err.Error(), "settings.toml") {
				t.Errorf("LoadSettings = %v, want an error naming the file", err)
			}
		})
	}
}

// TestSettingsConcurrentUpdates makes changes from many goroutines at once
// (run under -race) and checks that none is lost, in memory or on disk.
func TestSettingsConcurrentUpdates(t *testing.T) {
	home := t.TempDir()
	c := openSettingsCore(t, home)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := fmt.Sprintf("s%d@example.org", i)
			if err := c.UpdateSettings(func(s *Settings) { s.SetSender(addr, SenderChoice{Remote: true}) }); err != nil {
				t.Error(err)
			}
			_ = c.Settings().Sender(addr)
		}()
	}
	wg.Wait()
	s, err := LoadSettings(filepath.Join(home, "settings.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Senders) != 16 || len(c.Settings().Senders) != 16 {
		t.Errorf("%d senders on disk, %d in memory, want 16", len(s.Senders), len(c.Settings().Senders))
	}
}

// TestSettingsReachTheEngineAndOutbox checks that the poll interval, the
// offline bodies and the undo-send delay are handed on, and that options
// the core was made with win.
func TestSettingsReachTheEngineAndOutbox(t *testing.T) {
	c := openSettingsCore(t, t.TempDir())
	if err := c.UpdateSettings(func(s *Settings) {
		s.PollMinutes, s.OfflineBodies, s.OfflineDays, s.UndoSendSeconds = 9, OfflineRecent, 3, 20
	}); err != nil {
		t.Fatal(err)
	}
	var a accounts.Account
	var o imapsync.Options
	c.applySyncSettings(&a, &o)
	if o.PollInterval != 9*time.Minute || a.Sync.BodiesMaxAgeDays != 3 || o.BodiesPerPass != 0 {
		t.Errorf("recent: poll %v, max age %d days, bodies per pass %d", o.PollInterval, a.Sync.BodiesMaxAgeDays, o.BodiesPerPass)
	}
	a = accounts.Account{}
	a.Sync.PollSeconds, a.Sync.BodiesMaxAgeDays = 60, 100
	o = imapsync.Options{}
	c.applySyncSettings(&a, &o)
	if o.PollInterval != 0 || a.Sync.BodiesMaxAgeDays != 100 {
		t.Errorf("the account's own settings lost: poll %v, max age %d", o.PollInterval, a.Sync.BodiesMaxAgeDays)
	}
	if err := c.UpdateSettings(func(s *Settings) { s.OfflineBodies = OfflineNone }); err != nil {
		t.Fatal(err)
	}
	o = imapsync.Options{}
	c.applySyncSettings(&accounts.Account{}, &o)
	if o.BodiesPerPass >= 0 {
		t.Errorf("none: bodies per pass %d, want negative", o.BodiesPerPass)
	}

	before := time.Now()
	var m outbox.Message
	c.applyUndoSetting(&m)
	if !m.NoUndo || m.At.Before(before.Add(20*time.Second)) || m.At.After(time.Now().Add(20*time.Second)) {
		t.Errorf("undo delay 20 s: NoUndo %v, At %v after the call", m.NoUndo, m.At.Sub(before))
	}
	m = outbox.Message{NoUndo: true}
	c.applyUndoSetting(&m)
	if !m.At.IsZero() {
		t.Error("a message sent without undo was delayed")
	}
}

// TestSettingsRestartEngines checks that a change of a setting the engine
// reads at start restarts it, the new engine only after the old one has
// returned, and that other changes leave it running.
func TestSettingsRestartEngines(t *testing.T) {
	c, _, a := newISOCore(t, nil)
	c.Start()
	current := func() *engineRun {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.engines[a.ID]
	}
	waitUntil(t, "the first sync", func() bool { return c.Status(a.ID).State == imapsync.StateIdle })
	old := current()
	if err := c.UpdateSettings(func(s *Settings) { s.Theme = ThemeDark }); err != nil {
		t.Fatal(err)
	}
	if current() != old {
		t.Fatal("a theme change restarted the engine")
	}
	if err := c.UpdateSettings(func(s *Settings) { s.PollMinutes = 7 }); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a new engine", func() bool {
		run := current()
		return run != nil && run != old && run.running()
	})
	select {
	case <-old.done:
	default:
		t.Error("the new engine started before the old one returned")
	}
	waitUntil(t, "the new engine idle", func() bool { return c.Status(a.ID).State == imapsync.StateIdle })
}
