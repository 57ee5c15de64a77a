package imapsync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/internal/goroutine"
)

// CreateMailbox creates a folder on the server and refreshes the stored
// folder list. A name outside the personal namespace, as people write it
// ("Reisen/Zürich"), is created inside it ("INBOX.Reisen.Zürich" on a
// Courier-style server). It uses the on-demand connection and may wait on
// the network.
func (e *Engine) CreateMailbox(ctx context.Context, name string) error {
	if err := checkMailboxName(name); err != nil {
		return err
	}
	return e.folderOp(ctx, func(cn *conn) error {
		ns, err := cn.personal()
		if err != nil {
			return err
		}
		name := serverName(ns, name)
		if err := cn.c.Create(name, nil).Wait(); err != nil {
			return err
		}
		return cn.c.Subscribe(name).Wait()
	})
}

// serverName returns the server's name for a new folder named name: inside
// the personal namespace ns, with "/" between levels turned into its
// delimiter, unless name is INBOX or already inside it.
func serverName(ns imap.NamespaceDescriptor, name string) string {
	if ns.Prefix == "" || strings.HasPrefix(name, ns.Prefix) || strings.EqualFold(name, "INBOX") {
		return name
	}
	if ns.Delim != 0 && ns.Delim != '/' {
		name = strings.ReplaceAll(name, "/", string(ns.Delim))
	}
	return ns.Prefix + name
}

// RenameMailbox renames a folder (and its children) on the server and
// refreshes the stored folder list. from is the server's name; to, like
// CreateMailbox's name, may be written as people see it ("Projects/Bern")
// and is then put inside the personal namespace.
func (e *Engine) RenameMailbox(ctx context.Context, from, to string) error {
	if err := checkMailboxName(to); err != nil {
		return err
	}
	if strings.EqualFold(from, "INBOX") {
		return errors.New("INBOX cannot be renamed")
	}
	return e.folderOp(ctx, func(cn *conn) error {
		ns, err := cn.personal()
		if err != nil {
			return err
		}
		to := serverName(ns, to)
		if err := cn.c.Rename(from, to, nil).Wait(); err != nil {
			return err
		}
		cn.c.Unsubscribe(from).Wait()
		return cn.c.Subscribe(to).Wait()
	})
}

// DeleteMailbox deletes a folder and its messages on the server and
// refreshes the stored folder list.
func (e *Engine) DeleteMailbox(ctx context.Context, name string) error {
	if strings.EqualFold(name, "INBOX") {
		return errors.New("INBOX cannot be deleted")
	}
	return e.folderOp(ctx, func(cn *conn) error {
		if cn.selected == name {
			if err := cn.c.Unselect().Wait(); err != nil {
				return err
			}
			cn.selected = ""
		}
		if err := cn.c.Delete(name).Wait(); err != nil {
			return err
		}
		cn.c.Unsubscribe(name).Wait()
		return nil
	})
}

func checkMailboxName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("a folder needs a name")
	case strings.ContainsAny(name, "\r\n\x00*%"):
		return fmt.Errorf("a folder name cannot contain line breaks, NUL, * or %%")
	}
	return nil
}

// folderOp runs op on the on-demand connection, then stores the new folder
// list and tells the subscribers. A server refusal comes back as it is
// (an *imap.Error naming the reason).
func (e *Engine) folderOp(ctx context.Context, op func(cn *conn) error) error {
	done := make(chan error, 1)
	goroutine.GoErr("sync "+e.acct.ID+": folder", discard, func() error {
		return e.withFetchConn(func(cn *conn) error {
			if err := cn.do(func() error { return op(cn) }); err != nil {
				return err
			}
			if _, err := e.listMailboxes(context.WithoutCancel(ctx), cn); err != nil {
				return err
			}
			e.opts.OnChange(Change{Kind: ChangeMailboxes})
			return nil
		})
	}, func(err error) { done <- err })
	select {
	case err := <-done:
		var ie *imap.Error
		if errors.As(err, &ie) {
			return fmt.Errorf("the server refused: %s", ie.Text)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
