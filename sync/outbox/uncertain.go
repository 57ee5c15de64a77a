package outbox

import (
	"context"
	"fmt"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/store"
)

// ResolveUncertain marks "sent" the uncertain messages of account that the
// local store shows the server accepted: a copy with the same Message-ID
// in the account's Sent folder, or in its INBOX when the account was among
// the recipients. A message found in INBOX only gets a copy filed in Sent
// (unless Options.AppendSent says the provider files its own). Call it
// after the account's folders were synced; it returns the messages it
// changed, and reports each through Options.OnChange.
func (w *Worker) ResolveUncertain(ctx context.Context, account string) ([]store.OutboxItem, error) {
	acct, ok := w.opts.Account(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	got, err := w.db.ResolveUncertainOutbox(ctx, account, store.ResolveOptions{
		SentMailbox: acct.Folders[accounts.RoleSent],
		Own:         ownAddresses(acct),
		AppendSent:  w.opts.AppendSent(acct),
	})
	for _, it := range got {
		w.opts.Logf("outbox: message %d was uncertain; a copy on the server shows it was sent", it.ID)
		w.opts.OnChange(it.Account, it.ID)
	}
	return got, err
}

// MarkSent records the user's word that uncertain message id reached the
// server: it becomes sent, and a copy is filed in Sent unless
// Options.AppendSent says the provider files its own (the sync engine
// looks in Sent first, so a copy already there is not filed twice). Any
// other state fails with a *store.OutboxStateError.
func (w *Worker) MarkSent(ctx context.Context, id int64) (store.OutboxItem, error) {
	it, err := w.db.OutboxItem(ctx, id)
	if err != nil {
		return it, err
	}
	appendSent := false
	if acct, ok := w.opts.Account(it.Account); ok {
		appendSent = w.opts.AppendSent(acct)
	}
	it, err = w.db.MarkOutboxSent(ctx, id, appendSent)
	if err == nil {
		w.opts.OnChange(it.Account, id)
	}
	return it, err
}

// ownAddresses returns the addresses at which acct receives mail.
func ownAddresses(acct accounts.Account) []string {
	own := []string{acct.Email}
	for _, id := range acct.Identities {
		own = append(own, id.Email)
		own = append(own, id.Aliases...)
	}
	return own
}
