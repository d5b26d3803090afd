package todo

import (
	"bytes"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Spec is the API's OpenAPI document (openapi.yaml).
//
//go:embed openapi.yaml
var Spec []byte

// KeyHeader carries the API's key.
const KeyHeader = "X-Api-Key"

// Limits on what a client can store.
const (
	maxBody  = 4 << 10
	maxTitle = 200
	maxItems = 1000
)

// Todo is one item.
type Todo struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// API is the to-do list: an http.Handler.
type API struct {
	key   []byte
	mux   *http.ServeMux
	mu    sync.Mutex
	items []Todo
}

// New returns the API, accepting requests that carry key.
func New(key string) *API {
	a := &API{key: []byte(key), mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /todos", a.list)
	a.mux.HandleFunc("POST /todos", a.add)
	a.mux.HandleFunc("GET /todos/{id}", a.get)
	a.mux.HandleFunc("POST /todos/{id}/done", a.complete)
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(KeyHeader)), a.key) != 1 || len(a.key) == 0 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	a.mux.ServeHTTP(w, r)
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	filter := r.URL.Query().Get("done")
	want, err := strconv.ParseBool(filter)
	if filter != "" && err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "done must be true or false"})
		return
	}
	a.mu.Lock()
	items := []Todo{}
	for _, t := range a.items {
		if filter == "" || t.Done == want {
			items = append(items, t)
		}
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) add(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title string `json:"title"`
	}
	if err := readJSON(r, &in); err != nil || in.Title == "" || len(in.Title) > maxTitle || !utf8.ValidString(in.Title) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be {\"title\": \"...\"}, 1 to 200 bytes"})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.items) >= maxItems {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "the list is full"})
		return
	}
	t := Todo{ID: len(a.items) + 1, Title: in.Title}
	a.items = append(a.items, t)
	writeJSON(w, http.StatusCreated, t)
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	a.withItem(w, r, func(t *Todo) {})
}

func (a *API) complete(w http.ResponseWriter, r *http.Request) {
	a.withItem(w, r, func(t *Todo) { t.Done = true })
}

// withItem runs f on the item the path names, and answers with it.
func (a *API) withItem(w http.ResponseWriter, r *http.Request, f func(*Todo)) {
	id, err := strconv.Atoi(r.PathValue("id"))
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil || id < 1 || id > len(a.items) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such item"})
		return
	}
	f(&a.items[id-1])
	writeJSON(w, http.StatusOK, a.items[id-1])
}

// readJSON reads one JSON object strictly: no unknown fields, nothing
// after it, at most maxBody bytes.
func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxBody {
		return errors.New("body too large")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the object")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
