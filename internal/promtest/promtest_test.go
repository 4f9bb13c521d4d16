package promtest

import (
	"testing"
	"time"
)

func TestConfigYAML(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no targets", Config{RemoteWriteReceiver: true},
			"global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"},
		{"jobs in name order", Config{ScrapeInterval: 2 * time.Second, Targets: map[string]string{"still": "127.0.0.1:2", "moves": "127.0.0.1:1"}},
			"global: {scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 2s}\nscrape_configs:\n" +
				"  - job_name: \"moves\"\n    static_configs: [{targets: [\"127.0.0.1:1\"]}]\n" +
				"  - job_name: \"still\"\n    static_configs: [{targets: [\"127.0.0.1:2\"]}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := string(tt.cfg.yaml()), tt.want; got != want {
				t.Errorf("yaml:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
