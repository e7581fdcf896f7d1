#!/usr/bin/env bash
# make fuzz: the long fuzz runs — 100,000 mutated messages through the parser and the
# stream framer in-process, and 100,000 over UDP and TCP against a live edgesipd.
# FUZZ_COUNT and FUZZ_SEED override the count and replay a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export EDGESIP_ROOT=$PWD FUZZ_COUNT=${FUZZ_COUNT:-100000}
bash test/setup.sh
node appliance/build.mjs --tests
files=(appliance/sip/message/parse.fuzz.test.ts test/integration/fuzz-network.test.ts)
flags=(--net); [ "$(id -u)" -eq 0 ] || flags+=(--map-root-user)
unshare "${flags[@]}" -- bash -c 'ip link set lo up && exec node --test "$@"' fuzz $(printf "dist-test/%s\n" "${files[@]/%.ts/.js}")
