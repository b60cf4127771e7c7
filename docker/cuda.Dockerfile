# syntax=docker/dockerfile:1
# gloss for a host with an NVIDIA GPU, its driver and the NVIDIA Container Toolkit. The binary
# is the default build, with every backend: it loads the driver library (libcuda.so.1) when it
# runs, which `docker run --gpus all` mounts into the container, so the image needs no CUDA
# toolkit (the kernels are the committed fatbins, embedded) and starts without a GPU too (then
# CUDA is skipped with the driver's reason). PoCL is installed as well, so gloss bench compares
# the GPU with OpenCL and the cpu on the host's cores.
#
#   docker build -f docker/cuda.Dockerfile -t gloss-cuda .
#   docker run --rm --gpus all gloss-cuda                   # the tests, then gloss bench
#   docker run --rm --gpus all -v "$PWD/out:/out" gloss-cuda gloss bench -o /out
#   docker run --rm --gpus all gloss-cuda gloss devices
#
# It installs with scripts/deps.sh, the script CI runs (its opencl part: the C compiler cgo
# needs, the OpenCL loader and PoCL), so the image and CI cannot drift apart.
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-base-ubuntu22.04
ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE} AS go

FROM ${CUDA_IMAGE}
# make and git (the commit in bench results); the Go toolchain from the Go image.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:${PATH}

WORKDIR /src
COPY scripts/deps.sh scripts/deps.sh
RUN bash scripts/deps.sh opencl && rm -rf /var/lib/apt/lists/*

COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN git config --global --add safe.directory /src \
 && go vet ./... \
 && go build -o /usr/local/bin/gloss ./cmd/gloss

CMD ["bash", "-c", "set -e; nvidia-smi; gloss devices; go test ./...; gloss bench"]
