// Package deploy holds the deployment files: the Kubernetes example and
// the systemd unit (the Dockerfile is at the repository root). Its tests
// check that they parse, that the configuration they carry is valid
// Drawbridge configuration, and that they agree with each other and with
// docs/deploy.md. No image is built here: that needs a container engine.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// k8sObject is the part of a Kubernetes object the test reads.
type k8sObject struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   map[string]any    `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas *int `yaml:"replicas"`
		Template struct {
			Spec struct {
				SecurityContext map[string]any `yaml:"securityContext"`
				Containers      []container    `yaml:"containers"`
				Volumes         []struct {
					Name      string            `yaml:"name"`
					ConfigMap map[string]string `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type container struct {
	Args    []string `yaml:"args"`
	EnvFrom []struct {
		SecretRef map[string]string `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe    *probe         `yaml:"startupProbe"`
	ReadinessProbe  *probe         `yaml:"readinessProbe"`
	LivenessProbe   *probe         `yaml:"livenessProbe"`
	SecurityContext map[string]any `yaml:"securityContext"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func loadManifest(t *testing.T) map[string]k8sObject {
	t.Helper()
	raw, err := os.ReadFile("kubernetes/drawbridge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
		var o k8sObject
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if o.Kind == "" || o.APIVersion == "" {
			t.Fatalf("document %d has no kind or apiVersion", i)
		}
		objs[o.Kind] = o
	}
	return objs
}

// TestKubernetesExample: the manifest parses; the Deployment runs several
// replicas as non-root with probes on /readyz and /healthz; its
// configuration is valid, every ${NAME} it uses comes from the Secret, and
// the ports, paths and names agree.
func TestKubernetesExample(t *testing.T) {
	objs := loadManifest(t)
	for _, kind := range []string{"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget", "Ingress"} {
		if _, ok := objs[kind]; !ok {
			t.Errorf("no %s", kind)
		}
	}
	dep := objs["Deployment"]
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Errorf("replicas = %v, want several", dep.Spec.Replicas)
	}
	pod := dep.Spec.Template.Spec
	if pod.SecurityContext["runAsNonRoot"] != true {
		t.Error("the pod may run as root")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
		c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes: readiness %+v, liveness %+v; want /readyz and /healthz", c.ReadinessProbe, c.LivenessProbe)
	}
	if c.SecurityContext["readOnlyRootFilesystem"] != true || c.SecurityContext["allowPrivilegeEscalation"] != false {
		t.Errorf("container security context %v", c.SecurityContext)
	}
	httpPort := 0
	for _, p := range c.Ports {
		if p.Name == "http" {
			httpPort = p.ContainerPort
		}
	}
	if objs["Service"].Spec.Ports[0].TargetPort != "http" {
		t.Error("the Service does not target the http port")
	}

	// The configuration file: where the args say, from the ConfigMap.
	cfgPath := ""
	for i, a := range c.Args {
		if a == "--config" && i+1 < len(c.Args) {
			cfgPath = c.Args[i+1]
		}
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if filepath.Join(m.MountPath, "drawbridge.yaml") == cfgPath {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("--config %s is not in a mounted volume", cfgPath)
	}
	if len(c.EnvFrom) == 0 || c.EnvFrom[0].SecretRef["name"] != objs["Secret"].Metadata["name"] {
		t.Error("the container does not take its environment from the Secret")
	}
	secret := objs["Secret"].StringData
	lookup := func(name string) (string, bool) {
		v, ok := secret[name]
		if name == "DRAWBRIDGE_ENCRYPTION_KEY" && ok {
			v = tokens.GenerateKey() // the example holds a placeholder
		}
		return v, ok
	}
	cfg, err := config.Parse([]byte(objs["ConfigMap"].Data["drawbridge.yaml"]), lookup)
	if err != nil {
		t.Fatalf("the ConfigMap's drawbridge.yaml: %v", err)
	}
	if _, err := server.CompilePolicies(cfg); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("0.0.0.0:%d", httpPort); cfg.Listen != want {
		t.Errorf("listen %s, but the container port is %d", cfg.Listen, httpPort)
	}
	if cfg.Storage.Type != "postgres" || cfg.RateLimits.Backend != "redis" {
		t.Errorf("replicas need postgres and redis; storage %s, rate limits %s", cfg.Storage.Type, cfg.RateLimits.Backend)
	}
}

// TestSystemdUnit: systemd-analyze verify accepts the unit without a
// warning (the binary replaced by one that exists), and it keeps its
// hardening.
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("systemd/drawbridge.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=drawbridge", "CapabilityBoundingSet=\n"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; the unit was not verified")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "drawbridge.service")
	if err := os.WriteFile(unit, bytes.ReplaceAll(raw, []byte("/usr/local/bin/drawbridge"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestDockerfile: the image is built by a Go at least as new as go.mod
// asks, statically, and runs as an unprivileged user on a minimal base.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	from := regexp.MustCompile(`(?m)^FROM golang:([0-9.]+)\S* AS build$`).FindSubmatch(raw)
	if goLine == nil || from == nil {
		t.Fatalf("go.mod's go line %q, the Dockerfile's builder %q", goLine, from)
	}
	if versionLess(string(from[1]), string(goLine[1])) {
		t.Errorf("the builder is Go %s, go.mod asks for %s", from[1], goLine[1])
	}
	for _, want := range []string{"CGO_ENABLED=0", "FROM gcr.io/distroless/static", "USER 65532:65532", `ENTRYPOINT ["/usr/local/bin/drawbridge"]`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}

// versionLess compares dotted version numbers.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			fmt.Sscan(as[i], &x)
		}
		if i < len(bs) {
			fmt.Sscan(bs[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}
