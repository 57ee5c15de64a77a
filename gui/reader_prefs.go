package gui

import "github.com/ternmail/tern/app"

// senderChoices returns what the settings say for the sender of v: whether
// its remote content loads at once, and whether its mail is shown as plain
// text. A forged-looking message never loads by its sender.
func senderChoices(s app.Settings, v *app.ReaderView) (remote, plain bool) {
	addr := senderEmail(v)
	if addr == "" {
		return false, false
	}
	c := s.Sender(addr)
	remote = c.Remote && s.RemoteContent == app.RemoteKnown && !senderSuspicious(v)
	return remote, c.View == app.ViewPlain
}

// rememberSender changes the settings' choices for mail from addr, off the
// UI goroutine.
func (r *reader) rememberSender(addr string, edit func(*app.SenderChoice)) {
	r.w.spawn("remember sender", func() {
		err := r.w.core.UpdateSettings(func(s *app.Settings) {
			c := s.Sender(addr)
			edit(&c)
			s.SetSender(addr, c)
		})
		if err != nil {
			r.w.do(func() { r.w.status.notice("Could not save the choice for " + addr + ": " + err.Error()) })
		}
	})
}

// settings returns the core's settings; a reader without a core (a
// rendering test) has the defaults.
func (r *reader) settings() app.Settings {
	if r.w.core == nil {
		return app.DefaultSettings()
	}
	return r.w.core.Settings()
}
