package mailtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Browser stands in for the system browser in tests: an HTTP client with a
// cookie jar that opens an authorization URL, fills in the login form,
// answers the consent page, and follows the redirect to the app's loopback
// listener, as a person would.
//
// A Browser keeps its session cookie, so a second authorization skips the
// login form, as a real browser that is still signed in does. A Browser
// is safe for concurrent use, though one person uses it one page at a time.
type Browser struct {
	client *http.Client
}

// BrowserResult is where a Browser's authorization ended.
type BrowserResult struct {
	// RedirectURL is the loopback URL the provider redirected to, with its
	// code and state or error query.
	RedirectURL *url.URL
	// Status and Body are the loopback listener's answer.
	Status int
	Body   string
}

// NewBrowser returns a Browser with an empty cookie jar.
func NewBrowser() *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err)
	}
	return &Browser{client: &http.Client{Jar: jar}}
}

// ErrBrowserNoRedirect is returned by Authorize when the provider's answer
// is a page of its own (an error page, or the login form again after a
// wrong password) instead of a redirect to the app.
var ErrBrowserNoRedirect = errors.New("mailtest: browser: the provider did not redirect to the app")

// Authorize opens authURL, signs in as user with password if the login
// form appears, allows (or, if !allow, denies) the consent, and follows
// the redirect to the app's loopback listener, which must be listening.
func (b *Browser) Authorize(ctx context.Context, authURL, user, password string, allow bool) (*BrowserResult, error) {
	resp, err := b.get(ctx, authURL)
	if err != nil {
		return nil, err
	}
	for range 4 {
		if res, done := b.atApp(resp, authURL); done {
			return res, nil
		}
		page, err := readPage(resp)
		if err != nil {
			return nil, err
		}
		form := findForm(page)
		if form == nil {
			return nil, fmt.Errorf("%w: %s page with no form (HTTP %d): %.200s", ErrBrowserNoRedirect, resp.Request.URL.Path, resp.StatusCode, textOf(page))
		}
		vals := form.values
		switch {
		case form.has("password"):
			if resp.StatusCode == http.StatusUnauthorized {
				return nil, fmt.Errorf("%w: sign-in refused: %.200s", ErrBrowserNoRedirect, textOf(page))
			}
			vals.Set("username", user)
			vals.Set("password", password)
			vals.Set("action", "login")
		case form.hasButton("consent"):
			if allow {
				vals.Set("consent", "allow")
			} else {
				vals.Set("consent", "deny")
			}
		default:
			return nil, fmt.Errorf("%w: unknown form on %s", ErrBrowserNoRedirect, resp.Request.URL)
		}
		target, err := resp.Request.URL.Parse(form.action)
		if err != nil {
			return nil, err
		}
		resp, err = b.post(ctx, target.String(), vals)
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: too many pages", ErrBrowserNoRedirect)
}

// atApp reports whether resp came from outside the provider (the app's
// loopback listener), and what it said.
func (b *Browser) atApp(resp *http.Response, authURL string) (*BrowserResult, bool) {
	provider, err := url.Parse(authURL)
	if err != nil || resp.Request.URL.Host == provider.Host {
		return nil, false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return &BrowserResult{RedirectURL: resp.Request.URL, Status: resp.StatusCode, Body: string(body)}, true
}

func (b *Browser) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.client.Do(req)
}

func (b *Browser) post(ctx context.Context, u string, vals url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(vals.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.client.Do(req)
}

func readPage(resp *http.Response) (*html.Node, error) {
	defer resp.Body.Close()
	return html.Parse(io.LimitReader(resp.Body, 1<<20))
}

// browserForm is the first form of a page: its action, the values of its
// inputs, and the names of its inputs and buttons.
type browserForm struct {
	action  string
	values  url.Values
	inputs  map[string]bool
	buttons map[string]bool
}

func (f *browserForm) has(name string) bool       { return f.inputs[name] }
func (f *browserForm) hasButton(name string) bool { return f.buttons[name] }

func findForm(n *html.Node) *browserForm {
	var form *browserForm
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if form != nil && n.Type == html.ElementNode && n.Data == "form" {
			return // only the first form
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				form = &browserForm{action: attr(n, "action"), values: url.Values{}, inputs: map[string]bool{}, buttons: map[string]bool{}}
			case "input":
				if form != nil && attr(n, "name") != "" {
					form.inputs[attr(n, "name")] = true
					if attr(n, "type") == "hidden" {
						form.values.Set(attr(n, "name"), attr(n, "value"))
					}
				}
			case "button":
				if form != nil && attr(n, "name") != "" {
					form.buttons[attr(n, "name")] = true
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return form
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(strings.TrimSpace(n.Data))
			sb.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(sb.String())
}
