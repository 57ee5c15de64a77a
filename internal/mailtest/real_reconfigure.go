package mailtest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ReconfigureDovecot appends conf to Dovecot's configuration (a later
// setting overrides an earlier one) and restarts it on the same ports with
// the same mail: a test turns on a quota, or lowers
// mail_max_userip_connections, this way. It must not run at the same time
// as Close or a restart.
func (r *Real) ReconfigureDovecot(conf string) error {
	path := filepath.Join(r.Dir, "dovecot", "dovecot.conf")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("mailtest: reconfigure Dovecot: %w", err)
	}
	if _, err := f.WriteString("\n# Added by ReconfigureDovecot.\n" + conf + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("mailtest: reconfigure Dovecot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mailtest: reconfigure Dovecot: %w", err)
	}
	return r.RestartDovecot()
}

// ReconfigurePostfix appends conf to Postfix's main.cf (a later setting
// overrides an earlier one, e.g. "message_size_limit = 2000") and
// restarts it on the same port. It must not run at the same time as Close.
func (r *Real) ReconfigurePostfix(conf string) error {
	path := filepath.Join(r.Dir, "postfix", "etc", "main.cf")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("mailtest: reconfigure Postfix: %w", err)
	}
	if _, err := f.WriteString("\n# Added by ReconfigurePostfix.\n" + conf + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("mailtest: reconfigure Postfix: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mailtest: reconfigure Postfix: %w", err)
	}
	if r.postfix != nil {
		if killed := r.postfix.stop(5 * time.Second); killed != "" {
			r.logf("mailtest: restarting Postfix: %s", killed)
		}
		r.postfix = nil
	}
	if r.postfix, err = r.startPostfix(); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	if err := realWaitReady(r.SubmissionAddr, r.postfix, deadline, realExpectGreeting("220 ", r.instance)); err != nil {
		return fmt.Errorf("mailtest: Postfix submission on %s not ready after a restart: %w\n%s", r.SubmissionAddr, err, r.LogTail(40))
	}
	return nil
}
