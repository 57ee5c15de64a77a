package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
)

// realProc is a server master process running in the foreground as our
// child, in its own process group (so the whole server can be signalled).
//
// A watchdog shell ("read; kill the group") holds the read end of a pipe
// whose write end only this process has: if the test binary dies, even by
// SIGKILL, the read returns EOF and the watchdog takes the server down, so
// no servers outlive their tests. (Pdeathsig is not enough: Postfix's
// master switches its effective uid now and then, which clears it.)
type realProc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed

	watchdog *exec.Cmd
	lifeline *os.File // write end; closed only when we die or stop
}

const realWatchdogScript = `read _ ; kill -TERM -"$1" 2>/dev/null; sleep 3; kill -KILL -"$1" 2>/dev/null`

func realStartProc(name string, cmd *exec.Cmd, logPath string) (*realProc, error) {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mailtest: starting %s: %w", name, err)
	}
	p := &realProc{name: name, cmd: cmd, done: make(chan struct{})}
	goroutine.GoErr("mailtest: "+name, nil, cmd.Wait, func(err error) {
		p.err = err
		close(p.done)
	})

	pr, pw, err := os.Pipe()
	if err != nil {
		p.stop(time.Second)
		return nil, err
	}
	p.watchdog = exec.Command("/bin/sh", "-c", realWatchdogScript, "mailtest-watchdog", strconv.Itoa(cmd.Process.Pid))
	p.watchdog.Stdin = pr
	p.watchdog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = p.watchdog.Start()
	pr.Close()
	if err != nil {
		pw.Close()
		p.watchdog = nil
		p.stop(time.Second)
		return nil, fmt.Errorf("mailtest: starting watchdog for %s: %w", name, err)
	}
	p.lifeline = pw
	return p, nil
}

func (p *realProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *realProc) exitErr() error {
	if !p.exited() {
		return nil
	}
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// stop sends SIGTERM to the master's whole process group (a Dovecot master
// alone takes seconds to shut down, its children exit lazily), waits up to
// timeout for the master to exit, then kills whatever is left. A master that
// had to be killed is not an error: stopping means that nothing is left
// running, which the kill ensures, and a loaded machine can make a graceful
// shutdown take longer than any timeout. It returns a description of the
// kill for the log, or "".
func (p *realProc) stop(timeout time.Duration) (killed string) {
	pid := p.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	if !p.exited() {
		select {
		case <-p.done:
		case <-time.After(timeout):
			killed = fmt.Sprintf("mailtest: %s (pid %d) did not stop within %v; killed; its processes were:\n%s", p.name, pid, timeout, realGroupList(pid))
			syscall.Kill(-pid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Children normally exit with their master; make sure of it, giving
	// them a moment to finish first.
	for i := 0; i < 100 && realGroupAlive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if realGroupAlive(pid) {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
	// Retire the watchdog without letting it signal the (gone) group.
	if p.watchdog != nil {
		p.watchdog.Process.Kill()
		p.watchdog.Wait()
		p.watchdog = nil
		p.lifeline.Close()
	}
	return killed
}

// realGroupList lists the processes of process group pgid, for
// diagnostics.
func realGroupList(pgid int) string {
	out, err := exec.Command("ps", "-e", "-o", "pgid=,pid=,ppid=,stat=,etime=,wchan:24=,args=").Output()
	if err != nil {
		return fmt.Sprintf("(ps: %v)", err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == strconv.Itoa(pgid) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// realGroupAlive reports whether process group pgid has a live (non-zombie)
// member. Orphaned zombies are the reaper's business, not ours.
func realGroupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// realProcessGroup returns the process group of process pid (decimal).
func realProcessGroup(pid string) (int, error) {
	if _, err := strconv.Atoi(pid); err != nil {
		return 0, fmt.Errorf("bad pid %q", pid)
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid pgrp ...; comm may contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unreadable /proc/%s/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return 0, fmt.Errorf("unreadable /proc/%s/stat", pid)
	}
	return strconv.Atoi(f[2])
}

func realLookupIDs(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, err
	}
	gid, err = strconv.Atoi(u.Gid)
	return uid, gid, err
}

func realLookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}
