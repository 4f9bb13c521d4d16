package har

import (
	"fmt"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"
)

// reason is why a recorded request is left out of the suite.
type reason int

const (
	kept reason = iota
	notHTTP
	otherHost
	asset
	preflight
	badMethod
	noResponse
	binaryBody
	overLimit
	nReasons
)

// methods are the request methods a step may use.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// drop says why an entry is left out, or kept.
func drop(e *Entry, u *url.URL, want []hostMatch, includeAssets bool) reason {
	switch {
	case !isHTTP(u):
		return notHTTP
	case !slices.ContainsFunc(want, func(m hostMatch) bool { return m.matches(u) }):
		return otherHost
	case !includeAssets && isAsset(e, u):
		return asset
	case isPreflight(e):
		return preflight
	case !slices.Contains(methods, strings.ToUpper(strings.TrimSpace(e.Request.Method))):
		return badMethod
	case e.Response.Status == 0:
		return noResponse
	}
	return kept
}

// assetTypes are Chrome's resource types of static assets.
var assetTypes = []string{"script", "stylesheet", "image", "font", "media", "manifest", "texttrack"}

// assetExts are the file extensions of static assets.
var assetExts = []string{
	".js", ".mjs", ".map", ".css",
	".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".avif", ".bmp",
	".woff", ".woff2", ".ttf", ".otf", ".eot",
	".mp4", ".webm", ".ogg", ".mp3", ".wav", ".m4a", ".vtt",
}

// assetMimeTypes are response types of static assets besides image/*,
// font/*, audio/* and video/*.
var assetMimeTypes = []string{
	"text/css", "text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
	"application/font-woff", "application/font-woff2", "application/x-font-ttf", "application/x-font-otf",
	"application/vnd.ms-fontobject", "application/manifest+json",
}

// isAsset reports whether e fetched a static asset: by Chrome's resource
// type, the path's extension or the response's type. What the page's own
// code fetched (xhr, fetch) and what changes state (not GET or HEAD) is
// never an asset, whatever it returns: an API may well serve images.
func isAsset(e *Entry, u *url.URL) bool {
	rt := strings.ToLower(e.ResourceType)
	m := strings.ToUpper(e.Request.Method)
	if rt == "xhr" || rt == "fetch" || m != "GET" && m != "HEAD" {
		return false
	}
	if slices.Contains(assetTypes, rt) || slices.Contains(assetExts, strings.ToLower(path.Ext(u.Path))) {
		return true
	}
	mt := mediaType(e.Response.Content.MimeType)
	for _, p := range []string{"image/", "font/", "audio/", "video/"} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	return slices.Contains(assetMimeTypes, mt)
}

// isPreflight reports whether e is a CORS preflight, which browsers send on
// their own before a cross-origin request.
func isPreflight(e *Entry) bool {
	if !strings.EqualFold(e.Request.Method, "OPTIONS") {
		return false
	}
	for _, h := range e.Request.Headers {
		if strings.EqualFold(h.Name, "Access-Control-Request-Method") {
			return true
		}
	}
	return false
}

// mediaType is a Content-Type without its parameters, lowercased.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// dropCount counts dropped requests by reason, and the other hosts by name.
type dropCount struct {
	n     [nReasons]int
	hosts []string
}

func (d *dropCount) add(r reason, u *url.URL) {
	d.n[r]++
	if r == otherHost && !slices.Contains(d.hosts, u.Host) {
		d.hosts = append(d.hosts, u.Host)
	}
}

// warnings says what was dropped and why, one line per reason.
func (d *dropCount) warnings() []string {
	var out []string
	for r := notHTTP; r < nReasons; r++ {
		n := d.n[r]
		if n == 0 {
			continue
		}
		var s string
		switch r {
		case notHTTP:
			s = fmt.Sprintf("dropped %s that %s not HTTP (data:, blob:, ws:)", plural(n, "request"), verb(n))
		case otherHost:
			hosts := slices.Sorted(slices.Values(d.hosts))
			if len(hosts) > 5 {
				hosts = append(hosts[:5], "…")
			}
			s = fmt.Sprintf("dropped %s to other hosts (%s): --host keeps them", plural(n, "request"), strings.Join(hosts, ", "))
		case asset:
			s = fmt.Sprintf("dropped %s (images, CSS, scripts, fonts, media): --include-assets keeps them", plural(n, "static asset"))
		case preflight:
			s = fmt.Sprintf("dropped %s, which browsers send on their own", plural(n, "CORS preflight"))
		case badMethod:
			s = fmt.Sprintf("dropped %s with a method a suite cannot send (it sends %s)", plural(n, "request"), strings.Join(methods, ", "))
		case noResponse:
			s = fmt.Sprintf("dropped %s the browser got no response to (status 0: blocked or cancelled)", plural(n, "request"))
		case binaryBody:
			s = fmt.Sprintf("dropped %s with a binary body, which a suite cannot hold", plural(n, "request"))
		case overLimit:
			s = fmt.Sprintf("dropped the last %s: a scenario holds at most %d steps", plural(n, "request"), maxSteps)
		}
		out = append(out, s)
	}
	return out
}

func verb(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
