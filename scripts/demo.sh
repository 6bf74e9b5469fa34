#!/usr/bin/env bash
# The whole job in a minute, on loopback: two qbittorrent-nox (a seeder and the one
# the daemon manages), a fake Radarr, the daemon, one download that completes and is
# imported, one that stalls and is removed, blocklisted and searched again; told as it
# happens, with the status page's address. Everything it starts is stopped on exit.
#
#   scripts/demo.sh              # until Ctrl-C
#   scripts/demo.sh --for 60     # stays up 60 s after the story
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in qbittorrent-nox mktorrent; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    echo "demo: installing ${missing[*]} with apt-get"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cargo build --quiet --bin qbitrr-lite --example demo
exec target/debug/examples/demo "$@"
