package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
)

// SettingsVersion is the settings.toml format version this Tern reads and
// writes. A file with a higher version is refused, never overwritten; a
// lower one is migrated when read.
const SettingsVersion = 1

// settingsFile is the name of the preferences file, beside accounts.toml.
const settingsFile = "settings.toml"

// Theme is the window's colour scheme.
type Theme string

// The themes.
const (
	ThemeSystem Theme = "system" // follow the desktop's light or dark preference
	ThemeLight  Theme = "light"
	ThemeDark   Theme = "dark"
)

// Density is how tightly the message list's rows are packed.
type Density string

// The densities.
const (
	DensityComfortable Density = "comfortable"
	DensityCompact     Density = "compact"
)

// ReadingPane is where the reader sits beside the message list.
type ReadingPane string

// The reading pane positions.
const (
	PaneRight ReadingPane = "right"
	PaneBelow ReadingPane = "below"
	PaneOff   ReadingPane = "off" // messages open in windows of their own
)

// RemoteContent is when remote images and styles load.
type RemoteContent string

// The remote content policies.
const (
	// RemoteNever never loads remote content; the reader only says it is
	// blocked.
	RemoteNever RemoteContent = "never"
	// RemoteAsk offers to load it for each message.
	RemoteAsk RemoteContent = "ask"
	// RemoteKnown offers the same, and loads it at once for the senders
	// marked "Always show remote content from this sender".
	RemoteKnown RemoteContent = "known"
)

// OfflineBodies is which bodies are downloaded in the background for
// reading offline.
type OfflineBodies string

// The offline body policies.
const (
	OfflineAll    OfflineBodies = "all"
	OfflineRecent OfflineBodies = "recent" // the last OfflineDays days
	OfflineNone   OfflineBodies = "none"   // bodies are fetched when opened
)

// BodyView is a sender's preferred form of HTML mail.
type BodyView string

// The body views; the empty BodyView is the default (HTML when there is
// some).
const (
	ViewDefault BodyView = ""
	ViewHTML    BodyView = "html"
	ViewPlain   BodyView = "plain"
)

// SenderChoice is what the user chose for mail from one sender.
type SenderChoice struct {
	// View is the form to show this sender's HTML mail in.
	View BodyView `toml:"view,omitempty"`
	// Remote loads remote content from this sender at once (under
	// RemoteKnown).
	Remote bool `toml:"remote,omitempty"`
}

// FolderRef names a folder by its account and its name on the server,
// which, unlike the store's IDs, survive a rebuilt store.
type FolderRef struct {
	Account string `toml:"account"`
	Folder  string `toml:"folder"`
}

// WindowState is the main window's remembered geometry and place.
type WindowState struct {
	// Width and Height are the window's size; 0 means the default.
	Width  float32 `toml:"width,omitempty"`
	Height float32 `toml:"height,omitempty"`
	// FolderSplit and ListSplit are the dividers' offsets (0 to 1): the
	// folder tree's and the message list's; 0 means the default.
	FolderSplit float64 `toml:"folder_split,omitempty"`
	ListSplit   float64 `toml:"list_split,omitempty"`
	// Folder is the folder shown last.
	Folder FolderRef `toml:"folder,omitempty"`
}

// Settings are the user's preferences, kept in settings.toml beside
// accounts.toml. They hold no secrets. A Settings is a value: Core's
// Settings returns a copy that the caller may change and hand to
// SetSettings.
type Settings struct {
	// Version is the file format version; SetSettings writes
	// SettingsVersion.
	Version int `toml:"version"`

	Theme Theme `toml:"theme"`
	// TextScale multiplies every text size of the window (1 is normal).
	TextScale   float64     `toml:"text_scale"`
	Density     Density     `toml:"density"`
	ReadingPane ReadingPane `toml:"reading_pane"`
	// Conversations shows folders as conversations unless a folder's own
	// switch says otherwise.
	Conversations bool `toml:"conversations"`

	// Notifications turns new-mail notifications on; QuietAccounts and
	// QuietFolders turn them off for some accounts and folders.
	Notifications bool        `toml:"notifications"`
	QuietAccounts []string    `toml:"quiet_accounts,omitempty"`
	QuietFolders  []FolderRef `toml:"quiet_folders,omitempty"`

	RemoteContent RemoteContent `toml:"remote_content"`
	// UndoSendSeconds is how long a sent message waits in the outbox, so
	// that Undo can take it back; 0 sends at once.
	UndoSendSeconds int `toml:"undo_send_seconds"`
	// PollMinutes is how often folders are checked that the server does
	// not push (no IDLE); an account's own poll setting wins.
	PollMinutes   int           `toml:"poll_minutes"`
	OfflineBodies OfflineBodies `toml:"offline_bodies"`
	// OfflineDays is the N of OfflineRecent.
	OfflineDays int `toml:"offline_days"`

	// CloseToTray keeps Tern running in the tray when its window closes.
	CloseToTray bool `toml:"close_to_tray"`
	// Autostart starts Tern when the user logs in (an XDG autostart
	// entry, written by the window).
	Autostart bool `toml:"autostart"`

	Window WindowState `toml:"window"`
	// Senders holds the per-sender choices, keyed by lower-case address.
	Senders map[string]SenderChoice `toml:"senders,omitempty"`
}

// DefaultSettings returns the settings of a new user.
func DefaultSettings() Settings {
	return Settings{
		Version:         SettingsVersion,
		Theme:           ThemeSystem,
		TextScale:       1,
		Density:         DensityComfortable,
		ReadingPane:     PaneRight,
		Notifications:   true,
		RemoteContent:   RemoteKnown,
		UndoSendSeconds: 5,
		PollMinutes:     2,
		OfflineBodies:   OfflineAll,
		OfflineDays:     30,
	}
}

// Text scale bounds.
const (
	MinTextScale = 0.5
	MaxTextScale = 3
)

// Validate reports the first field that holds a value Tern does not know,
// in words.
func (s *Settings) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("settings: %s %q is not one of %s", field, fmt.Sprint(v), want)
	}
	switch s.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		return bad("theme", s.Theme, "system, light, dark")
	}
	if s.TextScale < MinTextScale || s.TextScale > MaxTextScale {
		return fmt.Errorf("settings: text_scale %g is outside %g to %g", s.TextScale, MinTextScale, float64(MaxTextScale))
	}
	switch s.Density {
	case DensityComfortable, DensityCompact:
	default:
		return bad("density", s.Density, "comfortable, compact")
	}
	switch s.ReadingPane {
	case PaneRight, PaneBelow, PaneOff:
	default:
		return bad("reading_pane", s.ReadingPane, "right, below, off")
	}
	switch s.RemoteContent {
	case RemoteNever, RemoteAsk, RemoteKnown:
	default:
		return bad("remote_content", s.RemoteContent, "never, ask, known")
	}
	switch s.OfflineBodies {
	case OfflineAll, OfflineRecent, OfflineNone:
	default:
		return bad("offline_bodies", s.OfflineBodies, "all, recent, none")
	}
	if s.UndoSendSeconds < 0 || s.UndoSendSeconds > 60 {
		return fmt.Errorf("settings: undo_send_seconds %d is outside 0 to 60", s.UndoSendSeconds)
	}
	if s.PollMinutes < 1 || s.PollMinutes > 24*60 {
		return fmt.Errorf("settings: poll_minutes %d is outside 1 to 1440", s.PollMinutes)
	}
	if s.OfflineBodies == OfflineRecent && s.OfflineDays < 1 {
		return fmt.Errorf("settings: offline_days %d must be at least 1", s.OfflineDays)
	}
	for addr, c := range s.Senders {
		switch c.View {
		case ViewDefault, ViewHTML, ViewPlain:
		default:
			return bad("view of "+addr, c.View, "html, plain")
		}
	}
	return nil
}

// Notify reports whether new mail in folder of account is announced.
func (s Settings) Notify(account, folder string) bool {
	return s.Notifications && !slices.Contains(s.QuietAccounts, account) &&
		!slices.Contains(s.QuietFolders, FolderRef{Account: account, Folder: folder})
}

// Sender returns the choices made for mail from addr.
func (s Settings) Sender(addr string) SenderChoice {
	return s.Senders[strings.ToLower(addr)]
}

// SetSender records the choices for mail from addr; the zero SenderChoice
// forgets the sender.
func (s *Settings) SetSender(addr string, c SenderChoice) {
	addr = strings.ToLower(addr)
	if addr == "" {
		return
	}
	if c == (SenderChoice{}) {
		delete(s.Senders, addr)
		return
	}
	if s.Senders == nil {
		s.Senders = map[string]SenderChoice{}
	}
	s.Senders[addr] = c
}

// PollInterval returns PollMinutes as a duration.
func (s Settings) PollInterval() time.Duration { return time.Duration(s.PollMinutes) * time.Minute }

// clone returns a copy of s that shares no slice or map with it.
func (s Settings) clone() Settings {
	s.QuietAccounts = slices.Clone(s.QuietAccounts)
	s.QuietFolders = slices.Clone(s.QuietFolders)
	if s.Senders != nil {
		m := make(map[string]SenderChoice, len(s.Senders))
		for k, v := range s.Senders {
			m[k] = v
		}
		s.Senders = m
	}
	return s
}

// ErrSettingsNewer is wrapped by the error of a settings file written by a
// newer Tern.
var ErrSettingsNewer = errors.New("written by a newer Tern")

// LoadSettings reads the settings file at path. A missing file gives
// DefaultSettings. Fields the file leaves out keep their defaults; a file
// of an older version is migrated; one of a newer version is refused with
// an error wrapping ErrSettingsNewer; unknown keys and values are refused.
func LoadSettings(path string) (Settings, error) {
	s := DefaultSettings()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	var head struct {
		Version int `toml:"version"`
	}
	if _, err := toml.Decode(string(data), &head); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	if head.Version > SettingsVersion {
		return s, fmt.Errorf("%s: format version %d was %w; this one reads version %d (upgrade Tern; the file is left as it is)",
			path, head.Version, ErrSettingsNewer, SettingsVersion)
	}
	if head.Version < 0 {
		return s, fmt.Errorf("%s: invalid format version %d", path, head.Version)
	}
	md, err := toml.Decode(string(data), &s)
	if err != nil {
		return DefaultSettings(), fmt.Errorf("%s: %w", path, err)
	}
	if keys := md.Undecoded(); len(keys) > 0 {
		return DefaultSettings(), fmt.Errorf("%s: unknown setting %q", path, keys[0].String())
	}
	migrateSettings(&s, head.Version)
	if err := s.Validate(); err != nil {
		return DefaultSettings(), fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// migrateSettings brings s, read from a file of version from, to
// SettingsVersion. Version 0 is a file without a version line (written by
// hand); its fields are read as version 1's.
func migrateSettings(s *Settings, from int) {
	if from < 1 {
		s.Version = 1
	}
	// Later format changes add a step here, each from the version before.
	s.Version = SettingsVersion
}

// SaveSettings writes s to path atomically (a temporary file, synced, then
// renamed over path), readable by the user only.
func SaveSettings(path string, s Settings) error {
	s.Version = SettingsVersion
	if err := s.Validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("# Tern preferences. Written by the Preferences window; holds no passwords.\n\n")
	if err := toml.NewEncoder(&buf).Encode(s); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := replaceFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// replaceFile replaces path with data: a crash leaves the old file or the
// new one, never a part. The new file is 0600.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	// The rename itself is durable once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: some filesystems refuse a directory sync
		d.Close()
	}
	return nil
}

// settingsStore holds the loaded settings and the callbacks that follow
// them. It is safe for concurrent use.
type settingsStore struct {
	mu   sync.Mutex
	path string
	cur  Settings
	err  error // a load error: while it wraps ErrSettingsNewer nothing is written
	subs map[int]func(Settings)
	next int
	// writeMu orders the file writes as the changes were made.
	writeMu sync.Mutex
}

// loadSettings reads the settings at New; a file that cannot be read is
// logged and the defaults used.
func (c *Core) loadSettings() {
	st := &c.settings
	st.path = filepath.Join(c.opts.ConfigDir, settingsFile)
	st.cur, st.err = LoadSettings(st.path)
	if st.err != nil {
		c.opts.Logf("app: %v (using the default settings)", st.err)
	}
}

// Settings returns a copy of the current settings. It reads no file: it is
// cheap and safe from any goroutine, the UI's too.
func (c *Core) Settings() Settings {
	c.settings.mu.Lock()
	defer c.settings.mu.Unlock()
	return c.settings.cur.clone()
}

// SettingsError returns the error of reading settings.toml at start, nil
// if it was read (or absent). While it is a newer version's file, the
// settings are the defaults and changes are not saved.
func (c *Core) SettingsError() error {
	c.settings.mu.Lock()
	defer c.settings.mu.Unlock()
	return c.settings.err
}

// SetSettings replaces the settings with s, saves them and calls the
// OnSettingsChanged callbacks. It writes a file: call it off the UI
// goroutine.
func (c *Core) SetSettings(s Settings) error {
	return c.UpdateSettings(func(cur *Settings) { *cur = s.clone() })
}

// UpdateSettings changes the current settings with edit, saves them and
// calls the OnSettingsChanged callbacks, in the caller's goroutine. Two
// updates at once never lose each other's changes. It writes a file: call
// it off the UI goroutine.
func (c *Core) UpdateSettings(edit func(*Settings)) error {
	st := &c.settings
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	st.mu.Lock()
	if errors.Is(st.err, ErrSettingsNewer) {
		err := st.err
		st.mu.Unlock()
		return err
	}
	old := st.cur
	next := st.cur.clone()
	st.mu.Unlock()
	edit(&next)
	next.Version = SettingsVersion
	if err := next.Validate(); err != nil {
		return err
	}
	if err := SaveSettings(st.path, next); err != nil {
		return err
	}
	st.mu.Lock()
	st.cur = next
	st.err = nil
	subs := make([]func(Settings), 0, len(st.subs))
	for _, id := range sortedKeys(st.subs) {
		subs = append(subs, st.subs[id])
	}
	st.mu.Unlock()
	c.settingsApplied(old, next)
	for _, cb := range subs {
		cb(next.clone())
	}
	return nil
}

func sortedKeys(m map[int]func(Settings)) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OnSettingsChanged calls cb with the new settings after each change, in
// the goroutine that made it (cb must not block; a window hands the work
// to its UI goroutine). The returned function stops the calls.
func (c *Core) OnSettingsChanged(cb func(Settings)) (stop func()) {
	st := &c.settings
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.subs == nil {
		st.subs = map[int]func(Settings){}
	}
	id := st.next
	st.next++
	st.subs[id] = cb
	return func() {
		st.mu.Lock()
		delete(st.subs, id)
		st.mu.Unlock()
	}
}
