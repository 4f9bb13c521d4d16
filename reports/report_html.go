package reports

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"io"
)

//go:embed report_html.tmpl
var reportHTMLText string

var reportHTML = template.Must(template.New("report.html").Parse(reportHTMLText))

// htmlView is the report view plus the charts as inline images.
type htmlView struct {
	reportView
	Images []htmlImage
}

// htmlImage is a chart inlined as a data: URI, so the report opens from a
// mail attachment or a CI artefact with no network and no files beside it.
type htmlImage struct {
	Name, Title, Caption string
	Src                  template.URL
	Width, Height        int
}

// WriteHTML writes the sign-off report as one self-contained HTML page:
// inline CSS, the charts of in.Charts inlined as PNG data: URIs, no script
// or font from the network. It shows what WriteMarkdown shows, in the same
// order, and marks <body> with data-images-loaded="N/M" once the browser
// has decoded the charts.
func WriteHTML(w io.Writer, in ReportInput) error {
	v := htmlView{reportView: buildView(in)}
	for _, ch := range in.Charts {
		img := htmlImage{
			Name: ch.Name, Title: ch.Title, Caption: ch.Caption,
			// The data is our own base64 of our own PNG: safe as a URL.
			Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(ch.PNG)),
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(ch.PNG)); err == nil {
			img.Width, img.Height = cfg.Width, cfg.Height
		}
		v.Images = append(v.Images, img)
	}
	// Execute into memory so a template error leaves nothing half-written.
	var buf bytes.Buffer
	if err := reportHTML.Execute(&buf, v); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}
