package stdio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// stderrLine caps one logged stderr line; the rest of a longer line is
// dropped, so a child cannot make the gateway buffer without bound.
const stderrLine = 4096

var errLineTooLong = errors.New("line too long")

// readStdout decodes newline-delimited JSON-RPC messages (stdio transport,
// "Messages are delimited by newlines"). A line that is not JSON-RPC is
// logged and skipped rather than fatal: servers that print a banner on
// stdout are common, and one bad line should not cost every session.
func (p *proc) readStdout(max int, handle func(channel, jsonrpc.Message)) {
	defer p.all.Done()
	defer p.readers.Done()
	defer close(p.disconnected)
	r := bufio.NewReaderSize(p.stdout, 64<<10)
	log := p.log.With("from", "stdout")
	for {
		line, err := readLine(r, max)
		if errors.Is(err, errLineTooLong) {
			p.log.Warn("dropped an oversized message from the mcp server", "limit_bytes", max)
			if id, ok := oversizedResponseID(line); ok {
				// Its caller gets an error rather than waiting forever.
				handle(p, &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{
					Code:    jsonrpc.CodeInternalError,
					Message: "the MCP server's response exceeded the gateway's size limit",
				}})
			}
			continue
		}
		decodeLine(p, log, line, handle)
		if err != nil {
			return
		}
	}
}

// decodeLine decodes one message, or a batch of them, that ch carried.
func decodeLine(ch channel, log *slog.Logger, line []byte, handle func(channel, jsonrpc.Message)) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	raws := []json.RawMessage{line}
	if line[0] == '[' { // a JSON-RPC batch (2025-03-26 and earlier)
		if err := json.Unmarshal(line, &raws); err != nil {
			raws = nil
		}
	}
	for _, raw := range raws {
		msg, err := decode(raw)
		if err != nil {
			log.Warn("ignored a message that is not JSON-RPC", "err", err, "excerpt", excerpt(raw))
			continue
		}
		handle(ch, msg)
	}
}

// readLine returns the next line, keeping at most max bytes: the rest of
// a longer line is discarded, and its first bytes (up to prefixLen) are
// returned with errLineTooLong.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			prefix := append(line, chunk...)[:min(prefixLen, max)]
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			return prefix, errLineTooLong
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// readStderr logs every line the child writes to stderr, at info level:
// the stdio transport lets servers log there freely and says it does not
// mean an error (2026-07-28 basic/transports/stdio).
func (p *proc) readStderr() {
	defer p.all.Done()
	defer p.readers.Done()
	r := bufio.NewReaderSize(p.stderr, stderrLine)
	for {
		chunk, err := r.ReadSlice('\n')
		truncated := errors.Is(err, bufio.ErrBufferFull)
		if text := string(bytes.TrimRight(chunk, "\r\n")); text != "" || truncated {
			if truncated {
				p.log.Info("mcp server stderr", "line", text, "truncated", true)
			} else {
				p.log.Info("mcp server stderr", "line", text)
			}
		}
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.ReadSlice('\n')
		}
		if err != nil {
			return
		}
	}
}

// prefixLen is how much of an oversized line is kept to find its id.
const prefixLen = 256

// oversizedResponseID finds the id of a response from the start of a line
// too long to decode. Key order is not guaranteed by JSON, so this is a
// best effort: the SDKs write "id" before "result" or "error", and a
// request's "method" before its params. Only the bridge's numeric ids
// are of interest.
func oversizedResponseID(prefix []byte) (jsonrpc.ID, bool) {
	if bytes.Contains(prefix, []byte(`"method"`)) {
		return jsonrpc.ID{}, false
	}
	_, rest, ok := bytes.Cut(prefix, []byte(`"id":`))
	if !ok || !(bytes.Contains(rest, []byte(`"result"`)) || bytes.Contains(rest, []byte(`"error"`))) {
		return jsonrpc.ID{}, false
	}
	rest = bytes.TrimLeft(rest, " ")
	end := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end <= 0 {
		return jsonrpc.ID{}, false
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return jsonrpc.ID{}, false
	}
	return numID(n), true
}

func excerpt(b []byte) string {
	const n = 120
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
