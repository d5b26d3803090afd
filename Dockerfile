# Drawbridge container image: a static binary on a distroless base, run as
# an unprivileged user. Build it from the repository root:
#
#   docker build -t drawbridge:dev --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -p 8080:8080 -v $PWD/drawbridge.yaml:/etc/drawbridge/drawbridge.yaml:ro \
#     -e DRAWBRIDGE_ENCRYPTION_KEY=... drawbridge:dev
#
# The configuration must listen on 0.0.0.0 (or :8080), not the default
# 127.0.0.1, to be reachable from outside the container. See docs/deploy.md.

# The builder's Go must be at least go.mod's go line (a test checks it).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
# CGO_ENABLED=0: a static binary (SQLite is pure Go), so the runtime image
# needs no C library.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.buildVersion=${VERSION}" \
      -o /out/drawbridge ./cmd/drawbridge

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532), and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/drawbridge /usr/local/bin/drawbridge
USER 65532:65532
# SQLite deployments mount a volume here (PostgreSQL ones need none).
WORKDIR /var/lib/drawbridge
EXPOSE 8080 9464
ENTRYPOINT ["/usr/local/bin/drawbridge"]
CMD ["serve", "--config", "/etc/drawbridge/drawbridge.yaml"]
