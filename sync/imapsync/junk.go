package imapsync

import (
	"errors"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/store"
)

// The keywords that tell the server's (and other clients') spam filters
// what the user decided (RFC 5788's registry).
const (
	keywordJunk    imap.Flag = "$Junk"
	keywordNotJunk imap.Flag = "$NotJunk"
)

// allowsKeywords reports whether a mailbox whose PERMANENTFLAGS are flags
// lets a client set any keyword (\*).
func allowsKeywords(flags []imap.Flag) bool {
	for _, f := range flags {
		if f == imap.FlagWildcard {
			return true
		}
	}
	return false
}

// junkKeywords marks the message of action a, in the selected mailbox, as
// junk when a moves it into the folder junk, and as not junk when a moves
// it out of junk, where the mailbox lets keywords be set; otherwise it
// does nothing. The move follows at once, so the flags go with it. The
// keywords are a hint: a server's refusal is ignored, and only a broken
// connection is returned.
func junkKeywords(cn *conn, a store.Action, junk string) error {
	if a.Kind != store.ActionMove || junk == "" || !cn.selKeywords {
		return nil
	}
	set, clear := keywordJunk, keywordNotJunk
	switch {
	case a.Arg == junk:
	case a.Mailbox == junk:
		set, clear = keywordNotJunk, keywordJunk
	default:
		return nil
	}
	uids := imap.UIDSetNum(imap.UID(a.UID))
	err := cn.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{clear}}, nil).Close()
	if err == nil {
		err = cn.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{set}}, nil).Close()
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return nil
	}
	return err
}
