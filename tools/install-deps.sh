#!/usr/bin/env bash
# Installs every Debian 12 package surrogate needs to build, test and run.
# Idempotent and quiet when everything is already there.
set -euo pipefail
PACKAGES=(
  build-essential cmake pkg-config git python3 bc
  llvm-19-dev llvm-19 libllvm19
  libtorch-dev
  # OpenBLAS (single-threaded) as the system BLAS: LibTorch's LSTMs spend most
  # of their time in sgemm, and Debian's default libblas.so.3 is the reference
  # implementation (measured: training at width 32 went from 1,704 to 3,621
  # blocks/s with this package installed).
  libopenblas0-serial
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  # abseil: flat hash maps for the per-instruction lookups of `predict`.
  libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev libffi-dev libncurses-dev
  libseccomp-dev libgoogle-perftools-dev hyperfine gnuplot-nox
  # hwloc: which CPUs measure (one per physical core, one kind of core).
  libhwloc-dev
  # Unicorn (QEMU's x86-64 emulator): the semantics layer's equivalence checks.
  libunicorn-dev
  # Z3: proofs that a rewrite is equivalent (semantics/equivalence_proof.h).
  libz3-dev
  # NLopt: the derivative-free baseline of `surrogate tune --method=nlopt`.
  libnlopt-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
