package imapsync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// replayDrafts applies the pending changes to the server's Drafts folder
// (see store.DraftAction): each upload APPENDs the draft's current version
// and then removes the previous copies, so that one version remains; a
// removal deletes every copy.
func (e *Engine) replayDrafts(ctx context.Context, cn *conn) (int, error) {
	acts, err := e.st.DraftActions(ctx, e.acct.ID)
	if err != nil || len(acts) == 0 {
		return 0, err
	}
	folder, ok := e.roleFolder(ctx, store.RoleDrafts)
	if !ok {
		return 0, nil // before the first pass: kept for the next one
	}
	done := 0
	for _, a := range acts {
		if folder == "" {
			e.opts.Logf("sync %s: the account has no Drafts folder; draft kept locally only", e.acct.ID)
			e.logStoreErr(a.ActionID, "mark done", e.st.ActionDone(ctx, a.ActionID))
			continue
		}
		msgID, raw := a.MessageID, []byte(nil)
		if a.Kind == store.ActionDraftSave {
			d, err := e.st.Draft(ctx, a.DraftID)
			if errors.Is(err, store.ErrNotFound) { // deleted meanwhile; its removal follows
				e.logStoreErr(a.ActionID, "mark done", e.st.ActionDone(ctx, a.ActionID))
				continue
			}
			if err != nil {
				return done, err
			}
			msgID = store.DraftMessageID(d)
			if raw, err = draftMessage(e.acct.Email, msgID, d); err != nil {
				e.opts.Logf("sync %s: draft %d cannot be copied to the server: %v", e.acct.ID, d.ID, err)
				e.logStoreErr(a.ActionID, "mark done", e.st.ActionDone(ctx, a.ActionID))
				continue
			}
		}
		if err := e.putDraft(cn, folder, msgID, raw); err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				e.opts.Logf("sync %s: the server refused a draft change in %s: %v", e.acct.ID, folder, err)
				e.logStoreErr(a.ActionID, "mark done", e.st.ActionDone(ctx, a.ActionID))
				continue
			}
			e.logStoreErr(a.ActionID, "count a try", e.st.ActionRetry(ctx, a.ActionID, err))
			return done, err
		}
		if err := e.st.DraftActionDone(ctx, a.ActionID, a.Gen); err != nil {
			return done, err
		}
		e.touched[folder] = true
		done++
	}
	return done, nil
}

// putDraft replaces the copies of draft msgID in folder by raw (flagged
// \Draft and \Seen), or deletes them when raw is nil. The new version is
// stored before the old ones are removed: a failure in between leaves two
// copies, which the next save or removal cleans up.
func (e *Engine) putDraft(cn *conn, folder, msgID string, raw []byte) error {
	if cn.selected != folder {
		if _, err := cn.selectMailbox(folder, false); err != nil {
			return err
		}
	}
	var old []imap.UID
	err := cn.do(func() error {
		data, err := cn.c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + msgID + ">"}}}, nil).Wait()
		if err != nil {
			return err
		}
		old = data.AllUIDs()
		return nil
	})
	if err != nil {
		return err
	}
	if raw != nil {
		err = cn.do(func() error {
			cmd := cn.c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft, imap.FlagSeen}})
			if _, err := cmd.Write(raw); err != nil {
				cmd.Close()
				return err
			}
			if err := cmd.Close(); err != nil {
				return err
			}
			_, err := cmd.Wait()
			return err
		})
		if err != nil {
			return err
		}
	}
	if len(old) == 0 {
		return nil
	}
	return cn.do(func() error { return e.expunge(cn, imap.UIDSetNum(old...)) })
}

// draftMessage builds the server copy of local draft d: what parses of its
// addresses (a half-typed one is left out; the local draft keeps it), from
// the account's address when none is chosen yet, with message ID msgID.
func draftMessage(accountEmail, msgID string, d store.Draft) ([]byte, error) {
	md := message.Draft{Subject: d.Subject, Text: d.Body, InReplyTo: d.InReplyTo, References: d.References, MessageID: msgID}
	if from := lenientAddresses(d.From); len(from) > 0 {
		md.From = from[0]
	} else {
		md.From = message.Address{Email: accountEmail}
	}
	md.To, md.Cc = lenientAddresses(d.To), lenientAddresses(d.Cc)
	for _, f := range d.Attachments {
		md.Attachments = append(md.Attachments, message.DraftAttachment{Filename: f.Filename, ContentType: f.ContentType, Data: f.Data})
	}
	raw, err := message.Build(&md, d.Updated, "")
	if err != nil {
		return nil, fmt.Errorf("draft %d: %w", d.ID, err)
	}
	return raw, nil
}

// lenientAddresses returns the addresses of a list as typed that parse.
func lenientAddresses(s string) []message.Address {
	if list, err := message.ParseAddresses(strings.TrimRight(strings.TrimSpace(s), ",;")); err == nil {
		return list
	}
	var out []message.Address
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if list, err := message.ParseAddresses(strings.TrimSpace(part)); err == nil {
			out = append(out, list...)
		}
	}
	return out
}

// sentCopyFiled reports whether the Sent folder already holds outbox
// message id, found by its Message-ID: Tern may have stopped after an
// earlier APPEND of it and before recording that. A refusal of the search
// (or a message without ID) says no, and the APPEND goes ahead; only a
// broken connection is an error.
func (e *Engine) sentCopyFiled(ctx context.Context, cn *conn, sent string, id int64) (bool, error) {
	it, err := e.st.OutboxItem(ctx, id)
	if err != nil || it.MessageID == "" {
		return false, nil
	}
	if cn.selected != sent {
		if _, err := cn.selectMailbox(sent, false); err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				return false, nil
			}
			return false, err
		}
	}
	var found bool
	err = cn.do(func() error {
		data, err := cn.c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + it.MessageID + ">"}}}, nil).Wait()
		if err != nil {
			return err
		}
		found = len(data.AllUIDs()) > 0
		return nil
	})
	var ie *imap.Error
	if errors.As(err, &ie) {
		return false, nil
	}
	return found, err
}

// foldersKnown reports whether the account's folders were listed once:
// before that, a missing Sent or Drafts folder may just not be known yet.
func (e *Engine) foldersKnown(ctx context.Context) bool {
	_, err := e.st.MailboxByRole(ctx, e.acct.ID, store.RoleInbox)
	return err == nil
}
