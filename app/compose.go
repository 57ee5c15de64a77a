package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/message"
)

// DefaultSizeWarning is the message size above which the composer warns
// when the server's SIZE limit is not known.
const DefaultSizeWarning = 25_000_000

// FromChoice is one address the user may send from: an identity or one of
// its aliases, with the identity's signature.
type FromChoice struct {
	Address message.Address
	// ReplyTo is the identity's reply-to address, "" for none.
	ReplyTo   string
	Signature string
}

// FromChoices returns the addresses account may send from: each identity,
// then its aliases (with the identity's name and signature). An account
// without identities sends from its own name and address.
func (c *Core) FromChoices(account string) []FromChoice {
	acct, ok := c.Account(account)
	if !ok {
		return nil
	}
	return fromChoices(acct)
}

func fromChoices(acct accounts.Account) []FromChoice {
	var out []FromChoice
	seen := map[string]bool{}
	add := func(name, email, replyTo, sig string) {
		k := strings.ToLower(strings.TrimSpace(email))
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, FromChoice{Address: message.Address{Name: name, Email: strings.TrimSpace(email)}, ReplyTo: replyTo, Signature: sig})
	}
	for _, id := range acct.Identities {
		add(id.Name, id.Email, id.ReplyTo, id.Signature)
		for _, al := range id.Aliases {
			add(id.Name, al, id.ReplyTo, id.Signature)
		}
	}
	if len(out) == 0 {
		add(acct.Name, acct.Email, "", "")
	}
	return out
}

// OwnAddresses returns every address of account: its login address, its
// identities and their aliases. A reply to all leaves them out.
func (c *Core) OwnAddresses(account string) []string {
	acct, ok := c.Account(account)
	if !ok {
		return nil
	}
	return ownAddresses(acct)
}

func ownAddresses(acct accounts.Account) []string {
	out := []string{acct.Email}
	for _, fc := range fromChoices(acct) {
		out = append(out, fc.Address.Email)
	}
	return out
}

// SizeLimit returns the largest message account's SMTP server accepts, as
// its SIZE extension advertised at the outbox's last connection in this
// process (kept in memory, not in the store), or 0 when that is not known:
// the composer then warns above DefaultSizeWarning.
func (c *Core) SizeLimit(account string) int64 {
	return c.outboxWorker(false).SizeLimit(account)
}

// LearnSizeLimit returns account's SIZE limit, connecting to its SMTP
// server to learn it when no connection has told it yet (see
// outbox.Worker.LearnSizeLimit). It may wait on the network: call it off
// the UI goroutine.
func (c *Core) LearnSizeLimit(ctx context.Context, account string) (int64, error) {
	return c.outboxWorker(false).LearnSizeLimit(ctx, account)
}

// Compose is what a composer opens with: a draft and where it comes from.
type Compose struct {
	Account string
	Draft   message.Draft
	// SourceID is the local message replied to or forwarded, or 0.
	SourceID int64
}

// ComposeReply returns a reply to stored message id: to its sender (or
// with all, also to its other recipients, without the user's own
// addresses), from the identity the message was addressed to, with
// "Re: ", In-Reply-To, References and the quoted text under an
// attribution line. It may wait on the network (an unfetched body).
func (c *Core) ComposeReply(ctx context.Context, id int64, all bool) (*Compose, error) {
	acct, orig, _, err := c.composeSource(ctx, id)
	if err != nil {
		return nil, err
	}
	d := message.Reply(orig, all, ownAddresses(acct))
	d.From = pickFrom(acct, orig)
	return &Compose{Account: acct.ID, Draft: *d, SourceID: id}, nil
}

// ComposeForward returns a forward of stored message id: inline (its
// header fields and text in the body, its attachments attached again) or
// as an attachment (the whole message as message/rfc822). It may wait on
// the network.
func (c *Core) ComposeForward(ctx context.Context, id int64, asAttachment bool) (*Compose, error) {
	acct, orig, raw, err := c.composeSource(ctx, id)
	if err != nil {
		return nil, err
	}
	var d *message.Draft
	if asAttachment {
		d = &message.Draft{Subject: message.ForwardSubject(orig.Subject)}
		name := message.SafeFilename(strings.TrimSpace(orig.Subject))
		if name == "" {
			name = "message"
		}
		d.Attachments = []message.DraftAttachment{{Filename: name + ".eml", ContentType: "message/rfc822", Data: raw}}
	} else {
		d = message.Forward(orig)
		atts, err := attachmentsOf(raw, orig)
		if err != nil {
			return nil, err
		}
		d.Attachments = atts
	}
	d.From = pickFrom(acct, orig)
	return &Compose{Account: acct.ID, Draft: *d, SourceID: id}, nil
}

// ComposeFromRaw turns a raw message (one taken back from the outbox, say)
// into a draft of account to edit: its recipients (Bcc is not in the
// header, so it is lost), subject, text, threading and attachments.
func (c *Core) ComposeFromRaw(account string, raw []byte) (*Compose, error) {
	m, err := message.Parse(raw, nil)
	if err != nil {
		return nil, err
	}
	atts, err := attachmentsOf(raw, m)
	if err != nil {
		return nil, err
	}
	d := message.Draft{To: m.To, Cc: m.Cc, ReplyTo: m.ReplyTo, Subject: m.Subject, Text: m.Text,
		InReplyTo: m.InReplyTo, References: m.References, Attachments: atts}
	if len(m.From) > 0 {
		d.From = m.From[0]
	}
	return &Compose{Account: account, Draft: d}, nil
}

func (c *Core) composeSource(ctx context.Context, id int64) (accounts.Account, *message.Message, []byte, error) {
	sm, err := c.store.Message(ctx, id)
	if err != nil {
		return accounts.Account{}, nil, nil, err
	}
	acct, ok := c.Account(sm.Account)
	if !ok {
		return accounts.Account{}, nil, nil, fmt.Errorf("no account %q", sm.Account)
	}
	raw, err := c.RawMessage(ctx, id)
	if err != nil {
		return acct, nil, nil, err
	}
	m, err := message.Parse(raw, nil)
	if err != nil {
		return acct, nil, nil, err
	}
	return acct, m, raw, nil
}

// attachmentsOf returns the content of m's attachments (not the inline
// parts of an HTML body).
func attachmentsOf(raw []byte, m *message.Message) ([]message.DraftAttachment, error) {
	var out []message.DraftAttachment
	for _, a := range m.Attachments {
		if a.Inline && a.ContentID != "" {
			continue
		}
		data, err := message.PartData(raw, a.PartPath)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", a.Filename, err)
		}
		out = append(out, message.DraftAttachment{Filename: a.Filename, ContentType: a.ContentType, Data: data})
	}
	return out, nil
}

// pickFrom returns the user's address that orig was sent to (To, then
// Cc), or the account's first one.
func pickFrom(acct accounts.Account, orig *message.Message) message.Address {
	choices := fromChoices(acct)
	for _, list := range [][]message.Address{orig.To, orig.Cc, orig.From} {
		for _, a := range list {
			for _, fc := range choices {
				if strings.EqualFold(a.Email, fc.Address.Email) {
					return fc.Address
				}
			}
		}
	}
	if len(choices) > 0 {
		return choices[0].Address
	}
	return message.Address{}
}

// RecentAddresses returns up to limit addresses of account whose address or
// name starts with prefix, the most used and most recent first.
func (c *Core) RecentAddresses(ctx context.Context, account, prefix string, limit int) ([]RecentAddress, error) {
	return c.store.RecentAddresses(ctx, account, prefix, limit)
}

// SaveDraft saves a draft locally (see store.DB.SaveDraft) and returns its
// ID. The sync engine then copies it to the server's Drafts folder, in
// place of the previous version, through the pending-action queue: saves
// made before it gets there make one upload.
func (c *Core) SaveDraft(ctx context.Context, d *Draft, withFiles bool) (int64, error) {
	if d.Account == "" {
		return 0, errors.New("a draft needs an account")
	}
	id, err := c.store.SaveDraft(ctx, d, withFiles)
	if err == nil {
		c.kickEngine(d.Account)
	}
	return id, err
}

// kickEngine wakes account's sync engine, if it runs, to replay what was
// queued.
func (c *Core) kickEngine(account string) {
	c.mu.Lock()
	run, ok := c.engines[account]
	c.mu.Unlock()
	if ok {
		run.engine.Kick()
	}
}

// Draft returns local draft id with its attachments.
func (c *Core) Draft(ctx context.Context, id int64) (Draft, error) {
	return c.store.Draft(ctx, id)
}

// Drafts returns the local drafts of account (all when empty), newest
// first, without attachment content.
func (c *Core) Drafts(ctx context.Context, account string) ([]Draft, error) {
	return c.store.Drafts(ctx, account)
}

// DeleteDraft deletes local draft id (discarded, or sent) and queues the
// removal of its copy from the server's Drafts folder.
func (c *Core) DeleteDraft(ctx context.Context, id int64) error {
	d, err := c.store.Draft(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.store.DeleteDraft(ctx, id); err != nil {
		return err
	}
	c.kickEngine(d.Account)
	return nil
}
