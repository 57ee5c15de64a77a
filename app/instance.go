package app

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
)

// ErrHandedOver is returned by ClaimInstance when another Tern window
// already runs over the same data directory and has taken the arguments.
var ErrHandedOver = errors.New("app: handed over to the running Tern")

// instanceTimeout bounds how long a launch waits on the running instance to
// take its arguments: a hung window must not hang the launch too.
const instanceTimeout = 5 * time.Second

// maxHandoff bounds what a connection to the socket may send.
const maxHandoff = 64 << 10

// maxSocketPath is the longest unix socket path every Unix accepts.
const maxSocketPath = 100

// InstanceSocket returns the path of the socket through which launches over
// dataDir find the running window: in runtimeDir ($XDG_RUNTIME_DIR) when it
// is set, else in a private directory "run" under dataDir, or, when that
// path is too long for a socket, in a private directory under the system's
// temporary directory. The socket's name is derived from dataDir, so that
// windows over different data directories (--home) never meet. The
// directory is created 0700 and must belong to the user.
func InstanceSocket(dataDir, runtimeDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	name := "tern-" + hex.EncodeToString(sum[:8]) + ".sock"
	var dirs []string
	if runtimeDir != "" && filepath.IsAbs(runtimeDir) {
		dirs = append(dirs, runtimeDir)
	}
	dirs = append(dirs, filepath.Join(abs, "run"), filepath.Join(os.TempDir(), "tern-"+strconv.Itoa(os.Getuid())))
	for i, dir := range dirs {
		p := filepath.Join(dir, name)
		if len(p) > maxSocketPath {
			continue
		}
		if i == 0 && runtimeDir != "" && dir == runtimeDir {
			// The runtime directory is the session's own, private by
			// the specification; it is not ours to create or change.
			return p, nil
		}
		if err := privateDir(dir); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("app: no directory for the instance socket is short enough (%s)", abs)
}

// privateDir creates dir 0700, or checks that it exists, belongs to the
// user and that no one else may enter it.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || (ok && int(st.Uid) != os.Getuid()) {
		return fmt.Errorf("app: %s is not a directory of yours", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("app: %s may be entered by others (mode %o); make it 0700", dir, fi.Mode().Perm())
	}
	return nil
}

// Instance is this process's claim to be the one Tern window over a data
// directory: it holds the listening socket that later launches hand their
// arguments to.
//
// Instance is safe for concurrent use; Serve calls its handler from one
// goroutine, one launch at a time.
type Instance struct {
	path string
	ln   *net.UnixListener
	logf func(format string, args ...any)

	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

// handoff is what a launch sends: its arguments, one JSON line.
type handoff struct {
	Args []string `json:"args"`
}

// ClaimInstance makes this process the running instance for socket, or,
// when another process already is, hands args to it and returns
// ErrHandedOver. File arguments must be absolute: the running instance has
// its own working directory. logf receives diagnostics; nil discards them.
//
// The check and the claim happen under an exclusive lock on a file beside
// the socket, so that of two launches at the same moment exactly one
// becomes the instance. A socket left by a process that died is replaced.
func ClaimInstance(socket string, args []string, logf func(format string, args ...any)) (*Instance, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	lock, err := os.OpenFile(socket+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("app: instance lock: %w", err)
	}
	defer lock.Close()
	if err := flockWait(lock); err != nil {
		return nil, fmt.Errorf("app: instance lock: %w", err)
	}
	// Closing lock releases it, after the listener is up or the handoff
	// is over.
	conn, err := net.DialTimeout("unix", socket, instanceTimeout)
	if err == nil {
		defer conn.Close()
		if err := sendHandoff(conn, args); err != nil {
			return nil, fmt.Errorf("app: the running Tern did not take the arguments: %w", err)
		}
		return nil, ErrHandedOver
	}
	// No one listens: whatever is at the path is stale.
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("app: remove stale socket: %w", err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("app: instance socket: %w", err)
	}
	if err := os.Chmod(socket, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("app: instance socket: %w", err)
	}
	return &Instance{path: socket, ln: ln, logf: logf, done: make(chan struct{})}, nil
}

func flockWait(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func sendHandoff(conn net.Conn, args []string) error {
	conn.SetDeadline(time.Now().Add(instanceTimeout))
	b, err := json.Marshal(handoff{Args: args})
	if err != nil {
		return err
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return err
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if reply != "ok\n" {
		return fmt.Errorf("unexpected reply %q", reply)
	}
	return nil
}

// Path returns the socket's path.
func (in *Instance) Path() string { return in.path }

// Serve accepts launches until Close, in a goroutine of its own, and calls
// handle with the arguments of each, in order. It returns at once. handle
// should return quickly: the launch waits for it.
func (in *Instance) Serve(handle func(args []string)) {
	goroutine.Go("instance socket", in.logf, func() {
		defer close(in.done)
		for {
			conn, err := in.ln.AcceptUnix()
			if err != nil {
				in.mu.Lock()
				closed := in.closed
				in.mu.Unlock()
				if !closed {
					in.logf("instance socket: %v", err)
				}
				return
			}
			in.serveConn(conn, handle)
		}
	})
}

func (in *Instance) serveConn(conn *net.UnixConn, handle func(args []string)) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(instanceTimeout))
	if !sameUser(conn) {
		in.logf("instance socket: a connection from another user was refused")
		return
	}
	line, err := bufio.NewReader(&limitedConn{conn, maxHandoff}).ReadBytes('\n')
	if err != nil {
		in.logf("instance socket: %v", err)
		return
	}
	var h handoff
	if err := json.Unmarshal(line, &h); err != nil {
		in.logf("instance socket: %v", err)
		return
	}
	handle(h.Args)
	conn.Write([]byte("ok\n"))
}

// limitedConn stops reading after n bytes.
type limitedConn struct {
	c net.Conn
	n int
}

func (l *limitedConn) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("handoff too long")
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.Read(p)
	l.n -= n
	return n, err
}

// Close stops accepting launches and removes the socket. It may be called
// more than once.
func (in *Instance) Close() error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	in.mu.Unlock()
	return in.ln.Close() // removes the socket file
}
