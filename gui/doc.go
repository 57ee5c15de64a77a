// Package gui is Tern's Fyne user interface: the main window (folder tree,
// message list, reader, status bar), the welcome screen, the setup wizard
// and the accounts list, the composer and the outbox view. It is the only
// package that imports Fyne.
//
// Threading: every widget is touched on the Fyne goroutine only. Anything
// that may wait (store queries, the network, the keychain) runs in a
// goroutine started by MainWindow.spawn, which recovers panics, and comes
// back with one call of MainWindow.do (fyne.Do in the real app). One event
// pump goroutine per window turns app.Core events into coalesced reloads.
package gui
