// Package desktopnotify shows desktop notifications through the
// freedesktop notification service (org.freedesktop.Notifications on the
// session D-Bus), with actions, and reports which action the user chose
// and when a notification closed.
//
// It knows nothing of a user interface toolkit: the window hands it
// Notification values and receives Event values. When there is no session
// bus or no service on it, Connect returns an error wrapping ErrNoService
// and the caller shows nothing, or falls back to its toolkit's own call.
package desktopnotify
