# syntax=docker/dockerfile:1
# gloss with its CUDA backend, for a host with an NVIDIA GPU, its driver and the NVIDIA
# Container Toolkit. The binary is built here (the CUDA kernels are the committed fatbin, so no
# nvcc run is needed); the tests and the benchmark run only under `docker run --gpus all`,
# because the CUDA driver library is not in the image (gorgonia.org/cu initialises CUDA when
# the program starts, and stops it where there is no GPU).
#
#   docker build -f docker/cuda.Dockerfile -t gloss-cuda .
#   docker run --rm --gpus all gloss-cuda                   # the tests (-tags cuda), then gloss bench
#   docker run --rm --gpus all -v "$PWD/out:/out" gloss-cuda gloss bench -o /out
#   docker run --rm --gpus all gloss-cuda gloss devices
#
# It installs with scripts/deps.sh, the script CI runs (its cuda part finds the image's nvcc
# and installs nothing more), so the image and CI cannot drift apart.
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-devel-ubuntu22.04
ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE} AS go

FROM ${CUDA_IMAGE}
# cgo's C compiler and git (the commit in bench results); the Go toolchain from the Go image.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev make git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:${PATH}

WORKDIR /src
COPY scripts/deps.sh scripts/deps.sh
RUN bash scripts/deps.sh cuda

COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Link against the toolkit's libcuda stub; at run time --gpus all mounts the real driver.
ENV CGO_LDFLAGS="-L/usr/local/cuda/lib64/stubs"
RUN git config --global --add safe.directory /src \
 && go vet -tags cuda ./... \
 && go build -tags cuda -o /usr/local/bin/gloss ./cmd/gloss \
 && for p in $(go list -tags cuda -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
      go test -c -tags cuda -o /dev/null "$p" || exit 1; \
    done

CMD ["bash", "-c", "set -e; nvidia-smi; gloss devices; go test -tags cuda ./...; gloss bench"]
