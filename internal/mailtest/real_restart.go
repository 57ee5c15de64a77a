package mailtest

import (
	"fmt"
	"time"
)

// RestartDovecot stops Dovecot and starts it again on the same ports with
// the same mail, as an administrator's restart does: every IMAP connection
// ends, and the server accepts new ones once it returns. It must not run
// at the same time as Close or another restart.
func (r *Real) RestartDovecot() error {
	if r.dovecot != nil {
		// A master that waits on its login processes' clients past the
		// timeout is killed, as an administrator's restart would.
		if killed := r.dovecot.stop(5 * time.Second); killed != "" {
			r.logf("mailtest: restarting Dovecot: %s", killed)
		}
		r.dovecot = nil
	}
	var err error
	if r.dovecot, err = r.startDovecot(); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range []struct{ name, addr, prefix string }{
		{"IMAP", r.IMAPAddr, "* OK"},
		{"LMTP", r.LMTPAddr, "220 "},
	} {
		if err := realWaitReady(c.addr, r.dovecot, deadline, realExpectGreeting(c.prefix, r.instance)); err != nil {
			return fmt.Errorf("mailtest: Dovecot %s on %s not ready after a restart: %w\n%s", c.name, c.addr, err, r.LogTail(40))
		}
	}
	return realWaitReady(r.AuthAddr, r.dovecot, deadline, realExpectAuth(r.dovecot.cmd.Process.Pid))
}
