package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ternmail/tern/accounts"
)

// TestFolderViewPersists checks that a folder's view survives a restart,
// is kept per folder, and that the zero view removes the entry.
func TestFolderViewPersists(t *testing.T) {
	home := t.TempDir()
	open := func() *Core {
		c, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Shutdown() })
		return c
	}
	inbox := Mailbox{Account: "a", Name: "INBOX"}
	sent := Mailbox{Account: "a", Name: "Sent"}
	other := Mailbox{Account: "b", Name: "INBOX"}

	c := open()
	if v := c.FolderView(inbox); v != (FolderView{}) {
		t.Fatalf("a fresh home's view %+v, want the default", v)
	}
	bySender := FolderView{Sort: Sort{Key: SortSender, Ascending: true}}
	bySize := FolderView{Sort: Sort{Key: SortSize}}
	if err := c.SetFolderView(inbox, bySender); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFolderView(sent, bySize); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFolderView(other, FolderView{Sort: Sort{Key: "colour"}}); err == nil {
		t.Error("an unknown sort key is saved")
	}
	c.Shutdown()

	c = open()
	if v := c.FolderView(inbox); v != bySender {
		t.Errorf("after a restart INBOX of a: %+v, want %+v", v, bySender)
	}
	if v := c.FolderView(sent); v != bySize {
		t.Errorf("after a restart Sent: %+v, want %+v", v, bySize)
	}
	if v := c.FolderView(other); v != (FolderView{}) {
		t.Errorf("INBOX of b: %+v, want the default", v)
	}
	if err := c.SetFolderView(sent, FolderView{}); err != nil {
		t.Fatal(err)
	}
	c.Shutdown()
	c = open()
	if v := c.FolderView(sent); v != (FolderView{}) {
		t.Errorf("Sent set back to the default: %+v after a restart", v)
	}

	// A damaged file falls back to the defaults, and the next save
	// replaces it.
	c.Shutdown()
	if err := os.WriteFile(filepath.Join(home, viewsFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	c = open()
	if v := c.FolderView(inbox); v != (FolderView{}) {
		t.Errorf("damaged file: %+v, want the default", v)
	}
	if err := c.SetFolderView(inbox, bySize); err != nil {
		t.Fatal(err)
	}
	c.Shutdown()
	if v := open().FolderView(inbox); v != bySize {
		t.Errorf("after replacing a damaged file: %+v", v)
	}
}

// TestFolderConversationsPersist checks that the Conversations switch and
// the sort order of one folder are kept side by side across a restart.
func TestFolderConversationsPersist(t *testing.T) {
	home := t.TempDir()
	open := func() *Core {
		c, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Shutdown() })
		return c
	}
	inbox := Mailbox{Account: "a", Name: "INBOX"}
	c := open()
	if err := c.SetFolderConversations(inbox, true); err != nil {
		t.Fatal(err)
	}
	bySize := Sort{Key: SortSize}
	if err := c.SetFolderSort(inbox, bySize); err != nil {
		t.Fatal(err)
	}
	c.Shutdown()
	c = open()
	if v := c.FolderView(inbox); !v.Conversations || v.Sort != bySize {
		t.Fatalf("after a restart: %+v", v)
	}
	if err := c.SetFolderConversations(inbox, false); err != nil {
		t.Fatal(err)
	}
	if v := c.FolderView(inbox); v.Conversations || v.Sort != bySize {
		t.Fatalf("switched off: %+v", v)
	}
}
