package gui

import (
	"errors"
	"testing"
	"time"
)

// fakeSaver drives an autosave without Fyne, a store or sleeps: its clock
// holds the armed timers for the test to fire, and its hooks record the
// saves begun and the drafts deleted.
type fakeSaver struct {
	t        *testing.T
	a        autosave
	timers   []*fakeTimer
	starts   []bool // filesChanged of each save begun
	newDraft bool   // the draft has no row yet: saves write the files
	discards int
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func newFakeSaver(t *testing.T) *fakeSaver {
	s := &fakeSaver{t: t}
	s.a = newAutosave(draftPause, func(d time.Duration, f func()) func() {
		tm := &fakeTimer{d: d, f: f}
		s.timers = append(s.timers, tm)
		return func() { tm.stopped = true }
	}, func(files bool) bool {
		s.starts = append(s.starts, files)
		return files || s.newDraft
	}, func() { s.discards++ })
	return s
}

// armed returns the timers neither stopped nor fired.
func (s *fakeSaver) armed() []*fakeTimer {
	var out []*fakeTimer
	for _, tm := range s.timers {
		if !tm.stopped {
			out = append(out, tm)
		}
	}
	return out
}

// fire runs the last timer armed, as the clock would once the pause is
// over, even if it was stopped (a timer that fired as it was stopped).
func (s *fakeSaver) fire() {
	s.t.Helper()
	if len(s.timers) == 0 {
		s.t.Fatal("no timer armed")
	}
	tm := s.timers[len(s.timers)-1]
	tm.stopped = true
	tm.f()
}

func (s *fakeSaver) want(starts, discards int, saving bool) {
	s.t.Helper()
	if len(s.starts) != starts || s.discards != discards || s.a.Saving() != saving {
		s.t.Fatalf("saves begun %d, discards %d, saving %v; want %d, %d, %v",
			len(s.starts), s.discards, s.a.Saving(), starts, discards, saving)
	}
}

func TestAutosaveSavesWhenTypingPauses(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	s.a.Edited()
	s.a.Edited()
	if got := s.armed(); len(got) != 1 || got[0].d != draftPause {
		t.Fatalf("armed timers = %d, want one of %v", len(got), draftPause)
	}
	if !s.a.Changed() {
		t.Fatal("not changed after an edit")
	}
	s.want(0, 0, false)
	s.fire()
	s.want(1, 0, true)
	if s.starts[0] {
		t.Error("a save without attachment changes wrote the files")
	}
	s.a.SaveDone(nil)
	s.want(1, 0, false)
	if s.a.unsaved {
		t.Fatal("unsaved after the save ended")
	}
}

func TestAutosaveStaleTimerDoesNothing(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	first := s.timers[0]
	s.a.Edited() // re-arms: the first timer is stopped
	if !first.stopped {
		t.Fatal("the first timer was not stopped")
	}
	first.f() // it fired as it was stopped
	s.want(0, 0, false)
	s.fire()
	s.want(1, 0, true)
}

func TestAutosaveTimerWithNothingUnsaved(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	s.a.Save() // Ctrl+S before the pause is over
	s.a.SaveDone(nil)
	s.want(1, 0, false)
	s.timers[0].f() // the timer fires anyway: nothing is unsaved
	s.want(1, 0, false)
}

func TestAutosaveSaveNowEvenUnchanged(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Save()
	s.want(1, 0, true)
	if s.a.Changed() {
		t.Error("Save made the composer changed")
	}
}

func TestAutosaveQueuesWhileSaving(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	s.fire()
	s.want(1, 0, true)
	// Typing goes on; its timer fires while the first save runs, and
	// Ctrl+S too: one save is queued.
	s.a.Edited()
	s.fire()
	s.a.Save()
	s.want(1, 0, true)
	s.a.SaveDone(nil)
	s.want(2, 0, true)
	s.a.SaveDone(nil)
	s.want(2, 0, false)
}

func TestAutosaveFilesEdited(t *testing.T) {
	s := newFakeSaver(t)
	s.a.FilesEdited()
	if len(s.armed()) != 1 || !s.a.Changed() {
		t.Fatal("an attachment change armed no timer")
	}
	s.fire()
	if len(s.starts) != 1 || !s.starts[0] {
		t.Fatalf("starts = %v, want one with the files", s.starts)
	}
	s.a.SaveDone(nil)
	s.a.Edited()
	s.fire()
	if s.starts[1] {
		t.Fatal("the second save wrote the unchanged files")
	}
}

func TestAutosaveFailedSaveLeavesItUnsaved(t *testing.T) {
	s := newFakeSaver(t)
	s.newDraft = true // the first save writes the files
	s.a.Edited()
	s.fire()
	s.a.Save() // queued
	s.a.SaveDone(errors.New("disk full"))
	s.want(1, 0, false) // the queued save is dropped
	if !s.a.unsaved || !s.a.attsChanged {
		t.Fatalf("after a failure: unsaved %v, files %v", s.a.unsaved, s.a.attsChanged)
	}
	// The next save carries the files the failed one did not write.
	s.newDraft = false
	s.a.Save()
	if len(s.starts) != 2 || !s.starts[1] {
		t.Fatalf("starts = %v", s.starts)
	}
}

func TestAutosaveClosingSavesUnsaved(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Closing()
	s.a.Closed()
	s.want(0, 0, false) // nothing to save

	s = newFakeSaver(t)
	s.a.Edited()
	timer := s.timers[0]
	s.a.Closing()
	s.a.Closed()
	s.want(1, 0, true)
	if !timer.stopped {
		t.Fatal("the timer survived the window")
	}
	timer.f()
	s.a.SaveDone(nil)
	s.want(1, 0, false)
	s.a.Edited() // never happens, but arms nothing
	if len(s.armed()) != 0 {
		t.Fatal("a timer armed after Closed")
	}
}

func TestAutosaveClosingWhileSavingQueues(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	s.fire()
	s.a.Edited() // typed on during the save
	s.a.Closing()
	s.a.Closed()
	s.want(1, 0, true)
	s.a.SaveDone(nil) // the queued save runs after the window closed
	s.want(2, 0, true)
	s.a.SaveDone(nil)
	s.want(2, 0, false)
}

func TestAutosaveClosedWithoutSaving(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	s.a.Closed() // Esc on a window: no save
	s.fire()
	s.want(0, 0, false)
}

func TestAutosaveFinishedDeletesTheDraft(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	timer := s.timers[0]
	s.a.Finished()
	s.want(0, 1, false)
	if !timer.stopped {
		t.Fatal("the timer survived Finished")
	}
	timer.f()
	s.a.Edited()
	s.a.FilesEdited()
	s.a.Save()
	s.a.Closing()
	s.a.Reopened()
	s.a.Finished()
	s.want(0, 1, false)
	if len(s.armed()) != 0 || !s.a.IsFinished() {
		t.Fatal("a timer armed after Finished")
	}
}

func TestAutosaveFinishedWhileSaving(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Edited()
	s.fire()
	s.a.Save() // queued
	s.a.Finished()
	s.want(1, 0, true) // the draft is deleted once the save ends
	s.a.SaveDone(nil)
	s.want(1, 1, false) // and the queued save does not run

	// A save that fails after Finished deletes nothing: it wrote nothing.
	s = newFakeSaver(t)
	s.a.Save()
	s.a.Finished()
	s.a.SaveDone(errors.New("disk full"))
	s.want(1, 0, false)
}

func TestAutosaveReopenedSavesAll(t *testing.T) {
	s := newFakeSaver(t)
	s.a.Reopened()
	s.want(1, 0, true)
	if !s.starts[0] || !s.a.Changed() {
		t.Fatalf("reopened: files %v changed %v", s.starts[0], s.a.Changed())
	}
}

func TestAutosaveSaveDoneWithoutSave(t *testing.T) {
	s := newFakeSaver(t)
	s.a.SaveDone(nil)
	s.want(0, 0, false)
	// Nothing was queued by it: one Save is one save, which ends.
	s.a.Save()
	s.want(1, 0, true)
	s.a.SaveDone(nil)
	s.want(1, 0, false)
}
