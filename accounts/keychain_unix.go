//go:build linux || freebsd || openbsd || netbsd || dragonfly

package accounts

import (
	"fmt"
	"os"
)

// sessionBusPreflight fails fast when there is no D-Bus session bus. Without
// it, the D-Bus library would run dbus-launch and leave a stray bus daemon
// behind for every call.
func sessionBusPreflight() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	dir := fmt.Sprintf("/run/user/%d/", os.Getuid())
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(dir + name); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}
