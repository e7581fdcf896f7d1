#!/usr/bin/env bash
# The whole test suite: type-check, layering check, build, then every listed test on
# the machine's Node and on Node 18.20 (the device's runtime), inside a private
# network namespace so that all traffic stays on its own loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export EDGESIP_ROOT=$PWD

bash test/setup.sh

echo "== type-check (@types/node 18)"
npx --no-install tsc -p tsconfig.json
npx --no-install tsc -p appliance/web/ui/tsconfig.json

echo "== layering"
bash test/check-layers.sh

echo "== test list guard"
mapfile -t listed < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' test/unit.list | grep -v '^$' || true)
[ ${#listed[@]} -gt 0 ] || { echo "test/unit.list names no test file" >&2; exit 1; }
for f in "${listed[@]}"; do [ -f "$f" ] || { echo "listed test missing: $f" >&2; exit 1; }; done
# test/qemu/ holds the image tests (make test-image, their own list).
unlisted=$(comm -23 <(find appliance test -name '*.test.ts' -not -path 'test/qemu/*' | sort) <(printf '%s\n' "${listed[@]}" | sort))
[ -z "$unlisted" ] || { echo "test files not in test/unit.list:" >&2; echo "$unlisted" >&2; exit 1; }

echo "== build"
node appliance/build.mjs --tests

# A fresh network namespace with only `lo`: the torture corpus names 192.0.2.x and
# 255.255.255.255, and responses must never leave the machine. Inside it, the test
# servers may also use the standard ports 5060/5061 without meeting a real service.
unshare_flags=(--net)
[ "$(id -u)" -eq 0 ] || unshare_flags+=(--map-root-user)
unshare "${unshare_flags[@]}" -- bash -c 'ip link set lo up && exec bash test/run-listed.sh "$@"' netns "${listed[@]}"
