package gui

import "time"

// autosave decides when a composer saves its draft. It knows nothing of
// widgets or of the store: the composer reports events to it (Edited,
// FilesEdited, Save, SaveDone, Closing, Closed, Finished, Reopened) and it
// answers through three hooks, start (begin a save), discard (delete the
// saved draft) and after (the clock that runs the pause timer).
//
// The rules:
//   - An edit arms a timer; when typing has paused for the pause, what is
//     unsaved is saved. Each edit re-arms it.
//   - Save (Ctrl+S, the Save button) saves now, even with nothing unsaved.
//   - One save at a time: a save asked for while one runs is queued and
//     starts when it ends (once, however often it was asked for).
//   - A save that fails leaves everything it carried unsaved, and drops the
//     queued one: the next edit, Ctrl+S or close saves it.
//   - Closing the window saves what is unsaved; no timer fires after Closed.
//   - After Finished (sent or discarded) nothing is saved: the saved draft
//     is deleted, at once or, when a save is running, as soon as it ends.
//
// All its methods, and the hooks, run on the owner's (the UI) goroutine;
// start must not wait for the save, but begin it elsewhere and report its
// end with SaveDone on the owner's goroutine.
type autosave struct {
	pause time.Duration
	// after runs f on the owner's goroutine after d, unless the stop it
	// returns is called first.
	after func(d time.Duration, f func()) (stop func())
	// start begins a save; filesChanged says whether the attachments
	// changed since the last save began. It returns whether the save
	// writes the attachments (the first save of a draft always does).
	start func(filesChanged bool) (withFiles bool)
	// discard deletes the saved draft, if there is one.
	discard func()

	life  draftLife
	phase savePhase

	// What changed. The names are the composer's (outboxview.go sets them
	// when it reopens a message; Reopened is the event for that).
	changed     bool // edited since opened
	unsaved     bool // edited since the last save began
	attsChanged bool // attachments changed since the last save began

	withFiles bool   // the running save writes the attachments
	gen       int    // the armed timer's generation
	stop      func() // stops the armed timer, nil if none
}

// draftLife is where the composer is in its life.
type draftLife uint8

const (
	draftOpen     draftLife = iota // being written
	draftClosed                    // window closed: no more timers, saves still end
	draftFinished                  // sent or discarded: nothing more is saved
)

// savePhase says whether a save is running.
type savePhase uint8

const (
	saveIdle    savePhase = iota // no save running
	saveRunning                  // a save is running
	saveQueued                   // a save is running and another follows it
)

func newAutosave(pause time.Duration, after func(time.Duration, func()) func(), start func(bool) bool, discard func()) autosave {
	return autosave{pause: pause, after: after, start: start, discard: discard}
}

// Changed reports whether the user changed anything since the composer
// opened.
func (a *autosave) Changed() bool { return a.changed }

// IsFinished reports whether the message was sent or discarded.
func (a *autosave) IsFinished() bool { return a.life == draftFinished }

// Saving reports whether a save is running.
func (a *autosave) Saving() bool { return a.phase != saveIdle }

// Edited notes an edit by the user and (re)arms the pause timer.
func (a *autosave) Edited() {
	if a.life == draftFinished {
		return
	}
	a.changed, a.unsaved = true, true
	if a.life != draftOpen {
		return
	}
	a.disarm()
	a.gen++
	gen := a.gen
	a.stop = a.after(a.pause, func() { a.timerFired(gen) })
}

// FilesEdited notes that the user added or removed an attachment.
func (a *autosave) FilesEdited() {
	if a.life == draftFinished {
		return
	}
	a.attsChanged = true
	a.Edited()
}

// timerFired saves what is unsaved once typing has paused; a timer
// re-armed, stopped or outlived by its composer does nothing.
func (a *autosave) timerFired(gen int) {
	if gen != a.gen || a.life != draftOpen || !a.unsaved {
		return
	}
	a.stop = nil
	a.Save()
}

// Save saves now, or once the running save ends.
func (a *autosave) Save() {
	switch {
	case a.life == draftFinished:
	case a.phase != saveIdle:
		a.phase = saveQueued
	default:
		a.phase = saveRunning
		files := a.attsChanged
		a.unsaved, a.attsChanged = false, false
		a.withFiles = a.start(files)
	}
}

// SaveDone reports the end of the save start began: err nil if it was
// saved.
func (a *autosave) SaveDone(err error) {
	if a.phase == saveIdle {
		return
	}
	queued := a.phase == saveQueued
	a.phase = saveIdle
	switch {
	case err != nil:
		a.unsaved, a.attsChanged = true, a.attsChanged || a.withFiles
	case a.life == draftFinished:
		a.discard()
	case queued:
		a.Save()
	}
}

// Reopened notes a composer reopened from a message taken back from the
// outbox: all of it is unsaved, and it is saved now.
func (a *autosave) Reopened() {
	a.changed, a.unsaved, a.attsChanged = true, true, true
	a.Save()
}

// Closing notes that the user closes the window: what is unsaved is saved.
func (a *autosave) Closing() {
	if a.unsaved || a.attsChanged {
		a.Save()
	}
}

// Closed notes that the window closed: no timer fires after it. A save
// running or queued still ends.
func (a *autosave) Closed() {
	a.disarm()
	a.gen++
	if a.life == draftOpen {
		a.life = draftClosed
	}
}

// Finished notes that the message was sent or discarded: nothing is saved
// after it, and the saved draft is deleted now or, when a save is
// running, once it ends.
func (a *autosave) Finished() {
	if a.life == draftFinished {
		return
	}
	a.life = draftFinished
	a.disarm()
	a.gen++
	if a.phase == saveIdle {
		a.discard()
	}
}

func (a *autosave) disarm() {
	if a.stop != nil {
		a.stop()
		a.stop = nil
	}
}
