package gui

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
)

// actionButton returns the button that applies d's fix, or nil when the
// fix is the user's to make (d.Fix says how).
func (v *healthView) actionButton(d healthDiagnosis) *widget.Button {
	act := d.Action
	if act == nil {
		return nil
	}
	var fn func()
	switch act.Kind {
	case app.HealthSwitchEndpoint:
		if act.Endpoint == nil || d.protocol == "" {
			return nil
		}
		ep, protocol := *act.Endpoint, d.protocol
		fn = func() {
			v.run("switching to "+endpointWords(ep)+" and checking again…", func(ctx context.Context, opts *app.HealthOptions) (*app.HealthReport, error) {
				return v.w.core.SwitchEndpoint(ctx, v.account, protocol, ep, opts)
			})
		}
	case app.HealthReenterPassword:
		fn = v.reenterPassword
	case app.HealthReviewCert:
		fn = func() { v.reviewCert(d.protocol, act.Fingerprint) }
	case app.HealthFewerConnections:
		fn = func() {
			v.run("using one connection and checking again…", func(ctx context.Context, opts *app.HealthOptions) (*app.HealthReport, error) {
				return v.w.core.FewerConnections(ctx, v.account, opts)
			})
		}
	case app.HealthSignIn:
		var b *widget.Button
		fn = func() { v.w.signInAgain(v.account, b, v.check) }
		b = widget.NewButton(act.Label, func() { fn() })
		b.Importance = widget.HighImportance
		if v.busy {
			b.Disable()
		}
		return b
	case app.HealthRetry:
		fn = func() {
			v.w.core.SyncNow(v.account)
			v.check()
		}
	default:
		return nil
	}
	b := widget.NewButton(act.Label, fn)
	b.Importance = widget.HighImportance
	if v.busy {
		b.Disable()
	}
	return b
}

// reenterPassword asks for the account's password in the health window
// (the prompt signs in with it before keeping it) and checks again once
// the prompt is closed.
func (v *healthView) reenterPassword() {
	a, ok := v.w.core.Account(v.account)
	if !ok {
		return
	}
	p := newPasswordPromptIn(v.w, v.win, []app.MissingPassword{{Account: a}})
	p.dlg.SetOnClosed(func() {
		if v.ctx.Err() == nil {
			v.check()
		}
	})
	p.show()
	p.intro.SetText("Type the password of " + a.Email + " again. Tern signs in with it before keeping it. " +
		"If your provider asks for an app password, create one in its security settings and type that.")
}

// reviewCert shows the certificate the check met on protocol's server,
// with its fingerprint, and pins it when the user trusts it: for that
// server, and for the account's other server when it presented the same
// certificate.
func (v *healthView) reviewCert(protocol, fingerprint string) {
	var shown *accounts.CertError
	var same []*accounts.CertError
	if r := v.report; r != nil {
		for _, s := range []*app.HealthServer{r.Incoming, r.Outgoing} {
			ce, ok := errorsAsCert(s)
			if !ok || ce.SHA256 != fingerprint {
				continue
			}
			same = append(same, ce)
			if s.Protocol == protocol {
				shown = ce
			}
		}
	}
	if shown == nil {
		return
	}
	question := certQuestion(shown)
	for _, ce := range same {
		if ce != shown {
			question += "\nThe " + net.JoinHostPort(ce.Host, strconv.Itoa(ce.Port)) + " server of this account presents the same certificate: it is trusted with it."
		}
	}
	text := &widget.Label{Text: question, Wrapping: fyne.TextWrapWord}
	dlg := dialog.NewCustomConfirm("Review the certificate", "Trust this certificate", "Cancel",
		container.New(&fixedWidth{width: 520}, text), func(trust bool) {
			if !trust {
				return
			}
			v.run("trusting the certificate and checking again…", func(ctx context.Context, opts *app.HealthOptions) (*app.HealthReport, error) {
				a, ok := v.w.core.Account(v.account)
				if !ok {
					return nil, fmt.Errorf("no account %q", v.account)
				}
				a = a.Clone()
				for _, ce := range same {
					if err := a.TrustCert(ce.Host, ce.Port, ce.SHA256); err != nil {
						return nil, err
					}
				}
				if err := v.w.core.UpdateAccount(ctx, a, "", nil); err != nil {
					return nil, err
				}
				return v.w.core.Health(ctx, v.account, opts)
			})
		}, v.win)
	dlg.Show()
}
