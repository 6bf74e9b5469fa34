#!/usr/bin/env bash
# CI for the static binaries and the packages, from a fresh clone:
#   1. cross/build.sh: installs its tools, builds the three static musl
#      binaries, smoke-tests each under qemu-user (or natively) against fake
#      upstreams (--version, check, a real run answering /health, SIGTERM)
#   2. packaging/build.sh: Synology SPKs, OpenWrt ipks and tarballs, systemd tarballs
#   3. scripts/check-packaging.sh: their structure, the shell scripts, the unit,
#      and the SPK's start-stop-status run the way DSM runs it
#
# A cold run (nothing cached: toolchains, zig's libc, qemu, target dir) took
# 434 s on 2 cores (cross/README.md), well inside CI's 90 minutes, so CI
# builds all three targets, not only armv7.
#
# Environment: CI_CROSS_TARGETS (default "all"; e.g. "armv7" for a quick run).
# The binaries' smoke test and the package checks are strict: a daemon
# feature the packages rely on (check, /health, run --log-stdout) that went
# missing fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
stamp() { printf 'ci-cross: %s (%d s)\n' "$*" "$((SECONDS - started))"; }

# shellcheck disable=SC2086 # a list of targets
SMOKE_STRICT=1 cross/build.sh ${CI_CROSS_TARGETS:-all}
stamp "binaries built and smoke-tested"
packaging/build.sh
stamp "packages built"
PACKAGING_STRICT=1 scripts/check-packaging.sh
stamp "packages checked"
