package message

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestImageLoaderNeverFetchesTracker checks ImageLoader.Load's own defence:
// Render leaves tracking pixels out of Document.Images, so the corpus tests
// never hand Load one; a Document that carries one anyway (built or changed
// by a caller) must not make Load fetch it, even with remote content allowed.
func TestImageLoaderNeverFetchesTracker(t *testing.T) {
	png := testPNG(t)
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	defer srv.Close()

	tracker := &Image{Src: srv.URL + "/open.gif", Source: ImageRemote, Tracker: true, Width: 1, Height: 1}
	picture := &Image{Src: srv.URL + "/picture.png", Source: ImageRemote}
	doc := &Document{Images: []*Image{tracker, picture}}

	got := (&ImageLoader{Client: srv.Client()}).Load(t.Context(), nil, nil, doc, true)
	if len(got) != 2 {
		t.Fatalf("Load returned %d results for 2 images", len(got))
	}
	if got[0].Image != tracker || !errors.Is(got[0].Err, ErrRemoteBlocked) || got[0].Data != nil {
		t.Errorf("tracker: %+v, want ErrRemoteBlocked and no data", got[0])
	}
	// The other remote image of the same document is fetched: remote
	// content is allowed, so only the tracker check kept the first one out.
	if got[1].Image != picture || got[1].Err != nil || got[1].Format != "png" {
		t.Errorf("picture: %+v, want a loaded png", got[1])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/picture.png" {
		t.Errorf("requests %v, want only /picture.png", paths)
	}
}
