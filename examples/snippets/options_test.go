package snippets

import (
	"strings"
	"testing"
)

func TestOptionsReportEveryProblem(t *testing.T) {
	_, err := Options{KeyHeader: "bad header:"}.withDefaults()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"DataDir", "Key is required", "KeyHeader"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{DataDir: "d", Key: "k"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.KeyHeader != DefaultKeyHeader || o.Logger == nil {
		t.Errorf("defaults not applied: %+v", o)
	}
	if _, err := (Options{DataDir: "d", InsecureNoKey: true}).withDefaults(); err != nil {
		t.Errorf("InsecureNoKey without a key: %v", err)
	}
}

func TestOptionsErrorsNeverContainKey(t *testing.T) {
	const key = "super-secret-key-value"
	_, err := Options{Key: key, KeyHeader: key + " "}.withDefaults()
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("error = %v; must exist and not contain the key", err)
	}
}

func TestValidHeaderName(t *testing.T) {
	for name, want := range map[string]bool{
		"x-functions-key": true, "X_Key.1": true, "": false, "a b": false, "a:b": false, "ключ": false,
	} {
		if got := validHeaderName(name); got != want {
			t.Errorf("validHeaderName(%q) = %v, want %v", name, got, want)
		}
	}
}
