// Package chromium runs a real headless Chromium for tests of the pages
// people see, through chromedp (the Chrome DevTools Protocol, no driver).
//
// Chromium is found at $DRAWBRIDGE_CHROMIUM, else as chromium,
// chromium-browser, google-chrome or google-chrome-stable on PATH. Without
// one, tests that need it skip with a message saying how to get it (plain
// `go test ./...` on a fresh machine still passes); scripts/test-all
// installs Debian's chromium and sets DRAWBRIDGE_CHROMIUM, and then a
// browser that will not start fails the test instead of skipping it.
//
// Screenshots go to $DRAWBRIDGE_ARTIFACTS (default: a temporary directory
// that is kept and named in the test log). With $DRAWBRIDGE_DOC_IMAGES set
// to a directory, the screenshots a test marks for the documentation are
// also written there (docs/img).
package chromium
