#!/usr/bin/env bash
# Fails when appliance/sip/ imports anything above it. The stack is a library that the
# daemon and the FXS agent share: it may import only itself, Node built-ins and npm
# packages, never appliance/{daemon,config,platform,main,cli,...}.
set -euo pipefail
cd "$(dirname "$0")/../appliance/sip"
sip=$PWD
violations=$( (grep -rnoE "(from|import\() *'\.[^']*'" --include='*.ts' . || true) | while IFS=: read -r file line match; do
  target=${match#*\'}; target=${target%\'}
  resolved=$(realpath -m "$(dirname "$file")/$target")
  case "$resolved" in "$sip"|"$sip"/*) ;; *) echo "$file:$line imports $target (outside appliance/sip)";; esac
done)
if [ -n "$violations" ]; then echo "layering violations:"; echo "$violations"; exit 1; fi
echo "layers ok"
