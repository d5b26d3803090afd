package server_test

import (
	"context"
	"os"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// stdioServerEnv makes this test binary act as a stdio MCP server, so the
// stdio backend tests need no other program.
const stdioServerEnv = "DRAWBRIDGE_TEST_STDIO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(stdioServerEnv) == "1" {
		runStdioServer()
		return
	}
	os.Exit(m.Run())
}

type whoArgs struct {
	Text string `json:"text"`
}

func runStdioServer() {
	srv := mcp.NewServer(&mcp.Implementation{Name: "stdio-fixture", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes its text"}, func(ctx context.Context, req *mcp.CallToolRequest, in whoArgs) (*mcp.CallToolResult, any, error) {
		secret := "absent"
		if os.Getenv("DRAWBRIDGE_TEST_PARENT_SECRET") != "" {
			secret = "leaked"
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo " + in.Text + " pid " + itoa(os.Getpid()) + " parent secret " + secret}}}, nil, nil
	})
	_ = srv.Run(context.Background(), &mcp.StdioTransport{})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
