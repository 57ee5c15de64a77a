package app

import (
	"context"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/internal/goroutine"
	"golang.org/x/oauth2"
)

// SignInOptions tune a browser sign-in. A nil *SignInOptions means: open
// the browser and wait for its redirect to Tern's loopback listener.
type SignInOptions struct {
	// Pasted carries redirect URLs the user pasted: the address the
	// browser showed after the sign-in, for a browser that could not
	// reach the listener (on another machine, say). The first URL
	// received completes the sign-in as the browser's redirect would,
	// unless the redirect came first. The caller closes Pasted, or stops
	// sending, when it has no more.
	Pasted <-chan string
}

// browserSignIn runs the browser sign-in of acct: the listener, the
// browser opened through open once, then the redirect or a pasted one.
func (c *Core) browserSignIn(ctx context.Context, acct accounts.Account, open Opener, so *SignInOptions) (*oauth2.Token, error) {
	p, err := oauth.ForAccount(acct)
	if err != nil {
		return nil, err
	}
	if so == nil || so.Pasted == nil {
		return oauth.SignIn(ctx, p, open, c.oauthOptions(acct))
	}
	f, err := oauth.Start(p, c.oauthOptions(acct))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := open(f.URL()); err != nil {
		return nil, &oauth.OpenError{URL: f.URL(), Err: err}
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	goroutine.Go("oauth pasted redirect", c.opts.Logf, func() {
		select {
		case <-pctx.Done():
		case u, ok := <-so.Pasted:
			if ok {
				// Its outcome is Wait's.
				f.Redirected(pctx, u)
			}
		}
	})
	return f.Wait(ctx)
}
