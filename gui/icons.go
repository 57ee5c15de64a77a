package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/ternmail/tern/app"

	"github.com/ternmail/tern/assets"
)

// icons holds the resources the window uses; built once per window so that
// there is no package-level state.
type icons struct {
	app, inbox, archive, junk, star, starOutline, starOn, unread fyne.Resource
}

func newIcons() *icons {
	res := func(name string) fyne.Resource {
		return fyne.NewStaticResource(name, assets.Icon(name))
	}
	themed := func(name string) fyne.Resource { return theme.NewThemedResource(res(name)) }
	return &icons{
		app:         res(assets.AppIcon),
		inbox:       themed(assets.Inbox),
		archive:     themed(assets.Archive),
		junk:        themed(assets.Junk),
		star:        themed(assets.Star),
		starOn:      theme.NewColoredResource(res(assets.Star), theme.ColorNameWarning),
		starOutline: theme.NewDisabledResource(res(assets.StarOutline)),
		unread:      themed(assets.Unread),
	}
}

// folder returns the icon of a mailbox by its role.
func (ic *icons) folder(b app.Mailbox) fyne.Resource {
	switch b.Role {
	case app.RoleInbox:
		return ic.inbox
	case app.RoleSent:
		return theme.MailSendIcon()
	case app.RoleDrafts:
		return theme.DocumentCreateIcon()
	case app.RoleArchive, app.RoleAll:
		return ic.archive
	case app.RoleTrash:
		return theme.DeleteIcon()
	case app.RoleJunk:
		return ic.junk
	case app.RoleFlagged:
		return ic.star
	}
	return theme.FolderIcon()
}
