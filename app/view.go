package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ternmail/tern/store"
)

// SortKey is what a folder's list is ordered by.
type SortKey = store.SortKey

// The orders of a folder's list.
const (
	SortDate      = store.SortDate
	SortSender    = store.SortSender
	SortRecipient = store.SortRecipient
	SortSubject   = store.SortSubject
	SortSize      = store.SortSize
)

// Sort is a list order, a key and a direction; the zero Sort is newest
// first.
type Sort = store.Sort

// FolderView is how the window shows one folder. The zero FolderView is
// the default: a flat list, newest first.
type FolderView struct {
	Sort Sort `json:"sort"`
	// Conversations shows the folder as conversations, not a flat list.
	Conversations bool `json:"conversations,omitempty"`
}

// viewsFile is the name of the settings file, beside accounts.toml, that
// keeps each folder's FolderView.
const viewsFile = "views.json"

// folderViews holds the FolderView of each folder that has one, keyed by
// account and the server's name of the folder (which, unlike the store's
// IDs, survives a rebuilt store). Its zero value is ready: it reads the
// file on first use. It is safe for concurrent use.
type folderViews struct {
	mu     sync.Mutex
	loaded bool
	views  map[string]FolderView
}

func viewKey(b Mailbox) string { return b.Account + "\x00" + b.Name }

func (c *Core) viewsPath() string { return filepath.Join(c.opts.ConfigDir, viewsFile) }

// loadLocked reads the file once; a missing file is no views, and an
// unreadable one is logged and then replaced at the next save.
func (c *Core) loadViewsLocked() {
	v := &c.views
	if v.loaded {
		return
	}
	v.loaded = true
	v.views = map[string]FolderView{}
	data, err := os.ReadFile(c.viewsPath())
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var file []struct {
		Account string     `json:"account"`
		Folder  string     `json:"folder"`
		View    FolderView `json:"view"`
	}
	if err == nil {
		err = json.Unmarshal(data, &file)
	}
	if err != nil {
		c.opts.Logf("app: folder views: %v (using the defaults)", err)
		return
	}
	for _, e := range file {
		v.views[e.Account+"\x00"+e.Folder] = e.View
	}
}

// FolderView returns how folder b is shown: what SetFolderView last set
// for it, also in an earlier run, or the zero FolderView. The first call
// reads a small file; it is safe from any goroutine.
func (c *Core) FolderView(b Mailbox) FolderView {
	c.views.mu.Lock()
	defer c.views.mu.Unlock()
	c.loadViewsLocked()
	return c.views.views[viewKey(b)]
}

// SavedFolderView returns how folder b was last shown, and false when
// nothing was saved for it (the Preferences' defaults then apply).
func (c *Core) SavedFolderView(b Mailbox) (FolderView, bool) {
	c.views.mu.Lock()
	defer c.views.mu.Unlock()
	c.loadViewsLocked()
	fv, ok := c.views.views[viewKey(b)]
	return fv, ok
}

// SetFolderView remembers how folder b is shown, durably (the settings
// file is replaced atomically). It writes a file: call it off the UI
// goroutine.
func (c *Core) SetFolderView(b Mailbox, fv FolderView) error {
	return c.updateFolderView(b, func(v *FolderView) { *v = fv })
}

// SetFolderSort remembers folder b's order, keeping the rest of its
// FolderView, as SetFolderView does: call it off the UI goroutine.
func (c *Core) SetFolderSort(b Mailbox, s Sort) error {
	return c.updateFolderView(b, func(v *FolderView) { v.Sort = s })
}

// SetFolderConversations remembers whether folder b is shown as
// conversations, keeping the rest of its FolderView, as SetFolderView
// does: call it off the UI goroutine.
func (c *Core) SetFolderConversations(b Mailbox, on bool) error {
	return c.updateFolderView(b, func(v *FolderView) { v.Conversations = on })
}

// updateFolderView changes folder b's FolderView with change and saves
// the file, all under the views' lock, so that two changes to one folder
// made at once both stay.
func (c *Core) updateFolderView(b Mailbox, change func(*FolderView)) error {
	c.views.mu.Lock()
	defer c.views.mu.Unlock()
	c.loadViewsLocked()
	fv := c.views.views[viewKey(b)]
	change(&fv)
	if err := fv.Sort.Valid(); err != nil {
		return err
	}
	if fv == (FolderView{}) {
		delete(c.views.views, viewKey(b))
	} else {
		c.views.views[viewKey(b)] = fv
	}
	type entry struct {
		Account string     `json:"account"`
		Folder  string     `json:"folder"`
		View    FolderView `json:"view"`
	}
	file := make([]entry, 0, len(c.views.views))
	for k, fv := range c.views.views {
		var e entry
		for i := 0; i < len(k); i++ {
			if k[i] == 0 {
				e.Account, e.Folder = k[:i], k[i+1:]
				break
			}
		}
		e.View = fv
		file = append(file, e)
	}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(c.viewsPath(), data)
}

// writeFileAtomic replaces path with data: a crash leaves the old file or
// the new one, never a part.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save folder views: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save folder views: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save folder views: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save folder views: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save folder views: %w", err)
	}
	return nil
}

// MessagesSorted returns a page of a mailbox in order s.
func (c *Core) MessagesSorted(ctx context.Context, mailboxID int64, s Sort, offset, limit int) ([]Message, error) {
	return c.store.MessagesSorted(ctx, mailboxID, s, offset, limit)
}
