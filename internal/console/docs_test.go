package console_test

import (
	"os"
	"regexp"
	"testing"
)

// TestDocsImages: every screenshot docs/console.md shows is committed
// (the browser tests write them with DRAWBRIDGE_DOC_IMAGES=docs/img).
func TestDocsImages(t *testing.T) {
	doc, err := os.ReadFile("../../docs/console.md")
	if err != nil {
		t.Fatal(err)
	}
	imgs := regexp.MustCompile(`\]\((img/[a-z0-9-]+\.png)\)`).FindAllSubmatch(doc, -1)
	if len(imgs) < 10 {
		t.Fatalf("docs/console.md shows %d screenshots", len(imgs))
	}
	for _, m := range imgs {
		if _, err := os.Stat("../../docs/" + string(m[1])); err != nil {
			t.Errorf("docs/console.md shows %s: %v", m[1], err)
		}
	}
}
