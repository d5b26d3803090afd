package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

type flags struct {
	role        string
	addr        string
	upstream    string
	duration    time.Duration
	concurrency int
	rate        int
	streams     int
	drawbridge  string
	profile     string
	flows       int
	load        bool
	rounds      int
	allocs      bool
}

func main() {
	var f flags
	flag.StringVar(&f.role, "role", "driver", "internal: driver, backend or bareproxy")
	flag.StringVar(&f.addr, "addr", "127.0.0.1:0", "internal: listen address for the backend and bare proxy roles")
	flag.StringVar(&f.upstream, "upstream", "", "internal: the bare proxy's upstream")
	flag.DurationVar(&f.duration, "duration", 10*time.Second, "how long each load phase runs")
	flag.IntVar(&f.concurrency, "concurrency", 32, "concurrent requests at saturation")
	flag.IntVar(&f.rate, "rate", 2000, "requests per second in the fixed-rate phase")
	flag.IntVar(&f.streams, "streams", 10000, "idle SSE streams to hold open through Drawbridge (0 skips)")
	flag.IntVar(&f.rounds, "rounds", 5, "slices each target's saturation time is cut into, taken in turn across targets")
	flag.BoolVar(&f.load, "load", true, "measure tools/call through every target at saturation and at a fixed rate")
	flag.BoolVar(&f.allocs, "allocs", true, "print BenchmarkProxy's allocations per request")
	flag.IntVar(&f.flows, "flows", 50, "concurrent authorizations (browsers) for the authorization server's rows (0 skips)")
	flag.StringVar(&f.drawbridge, "drawbridge", "", "drawbridge binary to use (default: build ./cmd/drawbridge)")
	flag.StringVar(&f.profile, "cpuprofile", "", "write CPU profiles of Drawbridge during its saturation phases to this file name, suffixed with the target's number")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch f.role {
	case "backend":
		err = runBackend(ctx, f.addr)
	case "bareproxy":
		err = runBareProxy(ctx, f.addr, f.upstream)
	case "driver":
		err = drive(ctx, f)
	default:
		err = fmt.Errorf("unknown role %q", f.role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
