package app

import (
	"context"
	"fmt"

	"github.com/ternmail/tern/message"
)

// ReaderView is what the reader pane shows of a message: the raw bytes,
// the parse, the rendered body and the verdict on its senders. Building it
// may wait on the network (an unfetched body) and on rendering; never call
// it from a UI goroutine.
type ReaderView struct {
	ID      int64
	Raw     []byte
	Message *message.Message
	Doc     *message.Document
	// Senders checks the From field as it is in the message.
	Senders []message.SenderCheck
	// Headers is every header field, decoded for display.
	Headers []message.HeaderField
	// Events summarizes the calendar invitations the message carries.
	Events []message.Event
	// TNEF lists the files inside each winmail.dat attachment, by the
	// attachment's PartPath.
	TNEF map[string][]message.TNEFAttachment
}

// OpenForReading loads, parses and renders message id for display.
func (c *Core) OpenForReading(ctx context.Context, id int64) (*ReaderView, error) {
	raw, err := c.RawMessage(ctx, id)
	if err != nil {
		return nil, err
	}
	return NewReaderView(id, raw)
}

// NewReaderView parses and renders a raw message.
func NewReaderView(id int64, raw []byte) (*ReaderView, error) {
	m, err := message.Parse(raw, nil)
	if err != nil {
		return nil, err
	}
	v := &ReaderView{
		ID:      id,
		Raw:     raw,
		Message: m,
		Doc:     message.Render(m),
		Senders: message.CheckSender(message.FromHeader(raw)),
		Headers: message.Headers(raw),
		Events:  message.CalendarEvents(raw, m),
	}
	for i, a := range m.Attachments {
		if i >= 20 || !message.IsTNEF(a) {
			continue
		}
		data, err := message.PartData(raw, a.PartPath)
		if err != nil {
			continue
		}
		if files, err := message.ParseTNEF(data); err == nil {
			if v.TNEF == nil {
				v.TNEF = map[string][]message.TNEFAttachment{}
			}
			v.TNEF[a.PartPath] = files
		}
	}
	return v, nil
}

// Source returns the raw message as text to show, bounded (see
// message.SourceText).
func (v *ReaderView) Source(max int) (text string, truncated bool) {
	return message.SourceText(v.Raw, max)
}

// BrowserHTML returns the message as a standalone, sanitized HTML page
// (see message.BrowserHTML); remote says whether remote images may load.
func (v *ReaderView) BrowserHTML(remote bool) string {
	return message.BrowserHTML(v.Raw, v.Message, remote)
}

// AttachmentData returns the decoded content of attachment a of v.
func (v *ReaderView) AttachmentData(a message.Attachment) ([]byte, error) {
	data, err := message.PartData(v.Raw, a.PartPath)
	if err != nil {
		return nil, fmt.Errorf("attachment %s: %w", a.Filename, err)
	}
	return data, nil
}
