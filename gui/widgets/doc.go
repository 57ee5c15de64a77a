// Package widgets holds Tern's custom Fyne widgets. They display what they
// are given and report user actions through On… callbacks; they hold no
// business logic and never touch the backend.
package widgets
