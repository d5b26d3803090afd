package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildVersion is set by the linker: -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
}

var versionCmd = &command{
	name:    "version",
	summary: "print the version",
	about:   "Prints Drawbridge's version, the Go version it was built with, and the platform.",
	examples: []string{
		"drawbridge version",
	},
	flags: noFlags(func(_ context.Context, stdout, _ io.Writer) error {
		fmt.Fprintf(stdout, "drawbridge %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	}),
}
