package config

import (
	"fmt"
	"reflect"
	"strings"
)

// expandEnv replaces ${NAME} in every string of c, walking the struct so that
// a value never changes the YAML structure around it. "$${" stays a literal
// "${". Unset variables are reported by field path; a value never is.
func expandEnv(c *Config, lookup func(string) (string, bool)) []error {
	var errs []error
	walkStrings(reflect.ValueOf(c).Elem(), "", func(path string, s string) string {
		out, err := expand(s, lookup)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
		return out
	})
	return errs
}

func expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in value")
		}
		name := s[i+2 : i+end]
		if !validEnvName(name) {
			return "", fmt.Errorf("${%s} is not a valid environment variable reference", name)
		}
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func validEnvName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		if c != '_' && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// walkStrings calls fn on every settable string reachable from v and stores
// the result back.
func walkStrings(v reflect.Value, path string, fn func(path, s string) string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fn(path, v.String()))
	case reflect.Pointer:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			walkStrings(v.Field(i), join(path, name), fn)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return
		}
		for _, k := range v.MapKeys() {
			nv := fn(join(path, k.String()), v.MapIndex(k).String())
			v.SetMapIndex(k, reflect.ValueOf(nv))
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
