package stdio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// outQueue bounds the messages waiting to be written to one child's stdin.
// Writes never block the caller: a child that stops reading must not stall
// the goroutine that reads its stdout, or the two would deadlock on full
// pipes.
const outQueue = 1024

var (
	errBusy    = errors.New("the MCP server is not reading its input")
	errStopped = errors.New("the MCP server process has stopped")
)

// proc is one running server process and its three pipes.
//
// The SDK's CommandTransport is not used: it reaps the child only in Close
// (so an unexpected exit goes unnoticed and unreaped), signals only the
// process itself rather than its group, and treats one malformed stdout
// line as fatal. proc keeps the same shutdown order (the stdio transport's
// "Shutdown": close stdin, wait, SIGTERM, wait, SIGKILL) and adds the rest.
type proc struct {
	log     *slog.Logger
	cmd     *exec.Cmd
	pid     int
	started time.Time

	stdin, stdout, stderr *os.File // the parent's ends

	out  chan []byte
	quit chan struct{} // closed by stop: the writer stops

	// disconnected is closed when stdout ends: no message will come.
	disconnected chan struct{}
	// exited is closed once Wait has returned; state is then set.
	exited chan struct{}
	state  *os.ProcessState

	readers  sync.WaitGroup // stdout and stderr readers
	all      sync.WaitGroup // every goroutine of this proc
	stopOnce sync.Once
}

// startProc starts the command. handle receives each message the child
// writes, in order, on the stdout reader's goroutine; it must not block.
func startProc(o *Options, log *slog.Logger, handle func(channel, jsonrpc.Message)) (*proc, error) {
	path, err := o.resolveCommand()
	if err != nil {
		return nil, err
	}
	// Our own pipes rather than cmd.StdoutPipe: Wait closes those, which
	// could discard a final response still in the pipe when the child exits.
	var files [6]*os.File // child stdin, our stdin; our stdout, child stdout; ...
	for i := 0; i < 6; i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(files[:i]...)
			return nil, err
		}
		files[i], files[i+1] = r, w
	}
	cmd := &exec.Cmd{
		Path:        path,
		Args:        o.Command,
		Env:         o.environ(),
		Dir:         o.Dir,
		Stdin:       files[0],
		Stdout:      files[3],
		Stderr:      files[5],
		SysProcAttr: sysProcAttr(),
	}
	err = cmd.Start()
	closeAll(files[0], files[3], files[5]) // the child holds its own copies
	if err != nil {
		closeAll(files[1], files[2], files[4])
		return nil, fmt.Errorf("starting %s: %w", o.Name, err)
	}
	p := &proc{
		cmd: cmd, pid: cmd.Process.Pid, started: time.Now(),
		stdin: files[1], stdout: files[2], stderr: files[4],
		out: make(chan []byte, outQueue), quit: make(chan struct{}),
		disconnected: make(chan struct{}), exited: make(chan struct{}),
	}
	p.log = log.With("pid", p.pid)
	p.log.Info("mcp server started", "command", o.Command)
	p.readers.Add(2)
	p.all.Add(4)
	go p.wait()
	go p.write()
	go p.readStdout(o.MaxMessageBytes, handle)
	go p.readStderr()
	return p, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			_ = f.Close()
		}
	}
}

// send queues one encoded message for the child's stdin (ctx is unused:
// a process has no credential per message).
func (p *proc) send(_ context.Context, data []byte) error {
	select {
	case <-p.quit:
		return errStopped
	default:
	}
	select {
	case p.out <- append(data, '\n'):
		return nil
	default:
		return errBusy
	}
}

func (p *proc) write() {
	defer p.all.Done()
	broken := false
	for {
		select {
		case data := <-p.out:
			if broken {
				continue
			}
			if _, err := p.stdin.Write(data); err != nil {
				// The child closed stdin or died; the stdout reader will
				// notice the end. Keep draining so send never blocks.
				broken = true
			}
		case <-p.quit:
			return
		}
	}
}

// wait reaps the child, then sweeps its process group so that no
// grandchild outlives it.
func (p *proc) wait() {
	defer p.all.Done()
	_ = p.cmd.Wait()
	p.state = p.cmd.ProcessState
	signalGroup(p.cmd.Process, syscall.SIGKILL)
	close(p.exited)
}

// stop shuts the process down as the stdio transport's "Shutdown" section
// asks (2025-11-25 basic/transports §stdio; 2026-07-28
// basic/transports/stdio §Shutdown): close its input, wait, SIGTERM, wait,
// SIGKILL. It returns once the process is reaped and every goroutine of p
// has ended. It is safe to call more than once.
func (p *proc) stop(grace time.Duration) string {
	p.stopOnce.Do(func() {
		close(p.quit)
		_ = p.stdin.Close()
		if !waitFor(p.exited, grace) {
			p.log.Info("mcp server did not exit after stdin closed; sending SIGTERM")
			signalGroup(p.cmd.Process, syscall.SIGTERM)
			if !waitFor(p.exited, grace) {
				p.log.Warn("mcp server ignored SIGTERM; sending SIGKILL")
				signalGroup(p.cmd.Process, syscall.SIGKILL)
				<-p.exited
			}
		}
		// A process that left the group may still hold our pipes open;
		// give the readers a moment to drain, then cut them loose.
		readersDone := make(chan struct{})
		go func() { p.readers.Wait(); close(readersDone) }()
		if !waitFor(readersDone, grace) {
			closeAll(p.stdout, p.stderr)
			<-readersDone
		}
		closeAll(p.stdout, p.stderr)
		p.all.Wait()
	})
	return exitStatus(p.state)
}

func (p *proc) gone() <-chan struct{} { return p.disconnected }
func (p *proc) since() time.Time      { return p.started }
func (p *proc) logAttrs() []any       { return []any{"pid", p.pid} }
func (p *proc) lost() string          { return "exited unexpectedly" }

func waitFor(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// exitStatus describes how the process ended, for logs.
func exitStatus(st *os.ProcessState) string {
	if st == nil {
		return "unknown"
	}
	return st.String()
}
