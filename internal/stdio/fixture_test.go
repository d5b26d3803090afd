package stdio

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The test binary doubles as the stdio MCP server the bridge runs: TestMain
// runs the fixture instead of the tests when fixtureEnv is set, so no
// separate build is needed. Behaviour switches come through the
// environment, which the bridge must pass (Options.Env).
const (
	fixtureEnv   = "DRAWBRIDGE_STDIO_FIXTURE" // "server" or "sleeper"
	stubbornEnv  = "FIXTURE_STUBBORN"         // ignore stdin EOF and SIGTERM
	bannerEnv    = "FIXTURE_BANNER"           // print a non-JSON line on stdout first
	legacyEnv    = "FIXTURE_LEGACY"           // support only session-based versions
	fixtureTitle = "drawbridge-fixture"
)

func runFixture() {
	if os.Getenv(stubbornEnv) != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if os.Getenv(bannerEnv) != "" {
		fmt.Println("fixture banner: this is not JSON-RPC")
	}
	fmt.Fprintf(os.Stderr, "fixture: ready pid=%d\n", os.Getpid())
	opts := &mcp.ServerOptions{
		// The SDK reports protocol errors such as a duplicate
		// notifications/initialized here; tests look for them on stderr.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		InitializedHandler: func(context.Context, *mcp.InitializedRequest) {
			fmt.Fprintln(os.Stderr, "fixture: initialized")
		},
		SubscribeHandler: func(_ context.Context, req *mcp.SubscribeRequest) error {
			fmt.Fprintln(os.Stderr, "fixture: subscribe "+req.Params.URI)
			return nil
		},
		UnsubscribeHandler: func(_ context.Context, req *mcp.UnsubscribeRequest) error {
			fmt.Fprintln(os.Stderr, "fixture: unsubscribe "+req.Params.URI)
			return nil
		},
	}
	if os.Getenv(legacyEnv) != "" {
		opts.SupportedProtocolVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26"}
	}
	s := mcp.NewServer(&mcp.Implementation{Name: fixtureTitle, Version: "1.0.0"}, opts)
	addFixtureTools(s)
	err := s.Run(context.Background(), &mcp.StdioTransport{})
	fmt.Fprintf(os.Stderr, "fixture: stdin closed (%v)\n", err)
	if os.Getenv(stubbornEnv) != "" {
		select {} // only SIGKILL ends this one
	}
}

type echoIn struct {
	Text string `json:"text"`
}

type crashIn struct {
	Code int `json:"code"`
}

type envIn struct {
	Names []string `json:"names"`
}

type barrierIn struct {
	Group string `json:"group"`
	N     int    `json:"n"`
	Tag   string `json:"tag"`
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// barrier holds the calls of a group until n of them wait, so that
// concurrent calls from several sessions are provably in flight on one
// process at once.
var barrier = struct {
	sync.Mutex
	cond    *sync.Cond
	waiting map[string]int
}{waiting: map[string]int{}}

func addFixtureTools(s *mcp.Server) {
	barrier.cond = sync.NewCond(&barrier.Mutex)
	mcp.AddTool(s, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		fmt.Fprintf(os.Stderr, "fixture: echo %s\n", in.Text)
		return text("echo: " + in.Text), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "big"}, func(_ context.Context, _ *mcp.CallToolRequest, in crashIn) (*mcp.CallToolResult, any, error) {
		return text(strings.Repeat("x", in.Code)), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "pid"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return text(fmt.Sprint(os.Getpid())), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "progress"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		tok := req.Params.GetProgressToken()
		for i := 1; i <= 2 && tok != nil; i++ {
			if err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(i), Total: 2}); err != nil {
				return nil, nil, err
			}
		}
		return text("progress done"), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "crash"}, func(_ context.Context, _ *mcp.CallToolRequest, in crashIn) (*mcp.CallToolResult, any, error) {
		fmt.Fprintf(os.Stderr, "fixture: crashing with %d\n", in.Code)
		os.Exit(in.Code)
		return nil, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "env"}, func(_ context.Context, _ *mcp.CallToolRequest, in envIn) (*mcp.CallToolResult, any, error) {
		var parts []string
		for _, n := range in.Names {
			v, ok := os.LookupEnv(n)
			if !ok {
				v = "<unset>"
			}
			parts = append(parts, n+"="+v)
		}
		return text(strings.Join(parts, ";")), nil, nil
	})
	// ask is a server-to-client request in the middle of a call
	// (elicitation/create), answered by the client over a separate POST.
	mcp.AddTool(s, &mcp.Tool{Name: "ask"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{
			Message: in.Text,
			RequestedSchema: map[string]any{
				"type":       "object",
				"properties": map[string]any{"answer": map[string]any{"type": "string"}},
			},
		})
		if err != nil {
			return nil, nil, err
		}
		return text(fmt.Sprintf("%s: %v", res.Action, res.Content["answer"])), nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "barrier"}, func(_ context.Context, _ *mcp.CallToolRequest, in barrierIn) (*mcp.CallToolResult, any, error) {
		barrier.Lock()
		barrier.waiting[in.Group]++
		barrier.cond.Broadcast()
		for barrier.waiting[in.Group] < in.N {
			barrier.cond.Wait()
		}
		barrier.Unlock()
		return text(in.Tag), nil, nil
	})
	s.AddResource(&mcp.Resource{URI: "test://r", Name: "r"}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: "test://r", Text: "r"}}}, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "touch"}, func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		return text("touched"), nil, s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: "test://r"})
	})
	mcp.AddTool(s, &mcp.Tool{Name: "grandchild"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, nil, err
		}
		cmd := exec.Command(exe)
		cmd.Env = []string{fixtureEnv + "=sleeper"}
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		return text(fmt.Sprint(cmd.Process.Pid)), nil, nil
	})
}
