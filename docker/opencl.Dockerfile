# syntax=docker/dockerfile:1
# gloss on PoCL (a CPU OpenCL device): runs on any x86-64 or arm64 machine, no GPU needed. The
# binary is the default build, with every backend (cpu, OpenCL, CUDA: each finds its driver when
# the program runs; here CUDA says it finds no driver library). It installs the system packages
# with scripts/deps.sh, the script CI runs, so the image and CI cannot drift apart.
#
#   docker build -f docker/opencl.Dockerfile -t gloss-opencl .
#   docker run --rm gloss-opencl                            # the tests, then gloss bench -quick
#   docker run --rm -v "$PWD/out:/out" gloss-opencl gloss bench -quick -o /out
#   docker run --rm gloss-opencl gloss devices
ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE}

WORKDIR /src
# System packages first (cached while only Go code changes): the C compiler, the OpenCL ICD
# loader, PoCL, clinfo.
COPY scripts/deps.sh scripts/deps.sh
RUN bash scripts/deps.sh opencl && rm -rf /var/lib/apt/lists/*

# Modules next, then the source.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The working tree may belong to another user than root: let git (VCS stamping of the
# commit that bench reports) read it anyway.
RUN git config --global --add safe.directory /src \
 && go vet ./... \
 && go build -o /usr/local/bin/gloss ./cmd/gloss

# Tests fail rather than skip when the OpenCL device is missing, as in CI.
ENV GLOSS_REQUIRE_OPENCL=1
CMD ["bash", "-c", "set -e; clinfo -l; gloss devices; go test ./...; gloss bench -quick"]
