package mailtest

import (
	"fmt"
	"os"
	"path/filepath"
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
