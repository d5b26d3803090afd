package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// proxyAllocs runs BenchmarkProxy (internal/server) and returns each
// case's allocations and bytes per request, by case name.
func proxyAllocs(ctx context.Context) (map[string][2]float64, []string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "./internal/server", "-run", "^$", "-bench", "^BenchmarkProxy$",
		"-benchmem", "-benchtime", "3000x", "-count", "1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("BenchmarkProxy: %w", err)
	}
	res := map[string][2]float64{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || !strings.HasPrefix(f[0], "BenchmarkProxy/") {
			continue
		}
		name := strings.TrimPrefix(f[0], "BenchmarkProxy/")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		var allocs, bytes float64
		for i := 1; i+1 < len(f); i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "allocs/op":
				allocs = v
			case "B/op":
				bytes = v
			}
		}
		res[name] = [2]float64{allocs, bytes}
		order = append(order, name)
	}
	if len(order) == 0 {
		return nil, nil, fmt.Errorf("BenchmarkProxy printed no results")
	}
	return res, order, nil
}
