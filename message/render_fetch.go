package message

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // decoders for image sizes
	_ "image/jpeg" // decoders for image sizes
	_ "image/png"  // decoders for image sizes
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
)

// ImageLoader resolves the images of a rendered Document into bytes: cid:
// images from the message's own parts, data: images from their URL, and
// remote images over HTTP, but only when asked to. Tracking pixels are
// never loaded. It is meant to run off the UI goroutine.
type ImageLoader struct {
	// Client fetches remote images; nil means a client with a 20 s
	// timeout, no cookies and at most 3 redirects.
	Client *http.Client
	// MaxBytes bounds each image (default 5 MiB).
	MaxBytes int64
	// MaxRemote bounds the remote images fetched per message (default 100).
	MaxRemote int
	// UserAgent is sent with remote requests ("" sends a generic one).
	UserAgent string
}

// LoadedImage is an image's bytes, or why it has none.
type LoadedImage struct {
	Image         *Image
	Data          []byte
	Format        string // "png", "jpeg", "gif"
	Width, Height int    // pixels
	Err           error
}

// ErrRemoteBlocked is the Err of a remote image that was not loaded
// because remote content is not allowed.
var ErrRemoteBlocked = errors.New("remote content blocked")

const defaultMaxImageBytes = 5 << 20

var defaultImageClient = &http.Client{
	Timeout: 20 * time.Second,
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return errors.New("redirect to a non-HTTP URL")
		}
		return nil
	},
}

// Load resolves every image of doc. raw is the message the document was
// rendered from (for cid: images, with m its parse); remote says whether
// remote images may be fetched. The result is in doc.Images order.
func (l *ImageLoader) Load(ctx context.Context, raw []byte, m *Message, doc *Document, remote bool) []LoadedImage {
	out := make([]LoadedImage, len(doc.Images))
	maxBytes := l.MaxBytes
	if maxBytes <= 0 {
		maxBytes = defaultMaxImageBytes
	}
	maxRemote := l.MaxRemote
	if maxRemote <= 0 {
		maxRemote = 100
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	fetched := 0
	for i, img := range doc.Images {
		out[i].Image = img
		switch {
		case img.Src == "":
			out[i].Err = errors.New("no source")
		case img.Tracker:
			out[i].Err = ErrRemoteBlocked
		case img.Source == ImageInline:
			if m == nil {
				out[i].Err = errors.New("no message")
				break
			}
			p := m.InlinePart(img.ContentID)
			if p == "" {
				out[i].Err = fmt.Errorf("no part with Content-ID %s", img.ContentID)
				break
			}
			data, err := PartData(raw, p)
			if err == nil && int64(len(data)) > maxBytes {
				err = errors.New("image too large")
			}
			out[i].Data, out[i].Err = data, err
		case img.Source == ImageData:
			out[i].Data, out[i].Err = decodeDataURL(img.Src, maxBytes)
		case img.Source == ImageRemote:
			if !remote {
				out[i].Err = ErrRemoteBlocked
				break
			}
			if fetched >= maxRemote {
				out[i].Err = errors.New("too many remote images")
				break
			}
			fetched++
			wg.Add(1)
			goroutine.GoErr("message: image", nil, func() error {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return ctx.Err()
				}
				defer func() { <-sem }()
				var err error
				out[i].Data, err = l.fetch(ctx, out[i].Image.Src, maxBytes)
				return err
			}, func(err error) {
				var pe *goroutine.PanicError
				if errors.As(err, &pe) {
					err = fmt.Errorf("panic: %v", pe.Value)
				}
				out[i].Err = err
				wg.Done()
			})
		}
	}
	wg.Wait()
	for i := range out {
		if out[i].Err != nil || out[i].Data == nil {
			out[i].Data = nil
			continue
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(out[i].Data))
		if err != nil {
			out[i].Data, out[i].Err = nil, fmt.Errorf("not an image: %w", err)
			continue
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > 40_000_000 {
			out[i].Data, out[i].Err = nil, errors.New("image dimensions out of range")
			continue
		}
		out[i].Format, out[i].Width, out[i].Height = format, cfg.Width, cfg.Height
	}
	return out
}

func (l *ImageLoader) fetch(ctx context.Context, src string, maxBytes int64) ([]byte, error) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("not an http URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	ua := l.UserAgent
	if ua == "" {
		ua = "Mozilla/5.0"
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "image/png,image/jpeg,image/gif;q=0.9")
	client := l.Client
	if client == nil {
		client = defaultImageClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, errors.New("image too large")
	}
	return data, nil
}

// decodeDataURL decodes a data: URL holding an image.
func decodeDataURL(s string, maxBytes int64) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		rest, ok = strings.CutPrefix(strings.ToLower(s[:min(len(s), 5)])+s[min(len(s), 5):], "data:")
		if !ok {
			return nil, errors.New("not a data URL")
		}
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasPrefix(strings.ToLower(meta), "image/") {
		return nil, errors.New("not an image data URL")
	}
	if int64(len(payload)) > maxBytes*4/3+8 {
		return nil, errors.New("image too large")
	}
	if strings.HasSuffix(strings.ToLower(meta), ";base64") {
		payload = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, payload)
		if u, err := url.PathUnescape(payload); err == nil {
			payload = u
		}
		data, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			data, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "="))
		}
		return data, err
	}
	u, err := url.PathUnescape(payload)
	return []byte(u), err
}
