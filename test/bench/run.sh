#!/usr/bin/env bash
# make bench: prints figures, asserts nothing about time.
#  1. parser + serializer throughput (messages/s) on REGISTER, INVITE and 200;
#  2. OPTIONS transactions/s over UDP driven by SIPp, at zero failures, against
#     edgesipd and against Kamailio with the same scenario, and edgesipd's peak RSS.
# Runs inside a private network namespace (traffic stays on its loopback).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${EDGESIP_IN_NETNS:-}" != 1 ]; then
  flags=(--net); [ "$(id -u)" -eq 0 ] || flags+=(--map-root-user)
  exec env EDGESIP_IN_NETNS=1 unshare "${flags[@]}" -- bash -c 'ip link set lo up && exec bash test/bench/run.sh'
fi

CALLS=${BENCH_CALLS:-40000}
RATE=${BENCH_RATE:-50000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== parser + serializer"
npx --no-install esbuild test/bench/parser.bench.ts --bundle --platform=node --target=node18 --format=cjs --log-level=warning --outfile="$work/parser.bench.js"
node "$work/parser.bench.js"

# Runs the scenario; prints "<ok> <failed> <seconds>".
sipp_run() { # $1 = port
  local start end
  start=$(date +%s.%N)
  sipp 127.0.0.1:"$1" -sf test/bench/options.xml -m "$CALLS" -r "$RATE" -rp 1000 -l 2000 \
    -i 127.0.0.1 -p 0 -nostdin -bg_off -trace_screen -screen_file "$work/screen.$1" >/dev/null 2>"$work/sipp.err.$1" || true
  end=$(date +%s.%N)
  local ok failed
  ok=$(grep -aoE 'Successful call +\| +[0-9]+ +\| +[0-9]+' "$work/screen.$1" | awk '{print $NF}' | tail -1)
  failed=$(grep -aoE 'Failed call +\| +[0-9]+ +\| +[0-9]+' "$work/screen.$1" | awk '{print $NF}' | tail -1)
  echo "${ok:-0} ${failed:-?} $(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
}

echo "== OPTIONS over UDP with SIPp ($CALLS transactions, up to $RATE/s offered)"
node dist/edgesipd.js --data-dir "$work/edgesipd" --listen 127.0.0.1 --sip-port 15060 --tls-port 15061 >"$work/edgesipd.log" &
edgesipd_pid=$!
for _ in $(seq 50); do grep -q '"edgesipd listening"' "$work/edgesipd.log" 2>/dev/null && break; sleep 0.1; done
read -r ok failed secs < <(sipp_run 15060)
rss=$(awk '/VmHWM/ {print $2}' /proc/$edgesipd_pid/status)
kill -TERM $edgesipd_pid; wait $edgesipd_pid || true
ours=$(awk -v n="$ok" -v s="$secs" 'BEGIN {print n / s}')
printf 'edgesipd: %d ok, %s failed in %.2f s = %.0f OPTIONS/s; peak RSS %.1f MiB\n' "$ok" "$failed" "$secs" "$ours" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')"

if command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ]; then
  sed 's/KAM_PORT/15070/' test/bench/kamailio.cfg > "$work/kamailio.cfg"
  /usr/sbin/kamailio -f "$work/kamailio.cfg" -DD -m 64 -M 8 -P "$work/kam.pid" >"$work/kamailio.log" 2>&1 &
  kam_pid=$!
  sleep 1
  read -r kok kfailed ksecs < <(sipp_run 15070)
  kill -TERM $kam_pid; wait $kam_pid 2>/dev/null || true
  theirs=$(awk -v n="$kok" -v s="$ksecs" 'BEGIN {print n / s}')
  printf 'kamailio: %d ok, %s failed in %.2f s = %.0f OPTIONS/s (1 UDP worker)\n' "$kok" "$kfailed" "$ksecs" "$theirs"
  printf 'ratio edgesipd/kamailio: %.2f\n' "$(awk -v a="$ours" -v b="$theirs" 'BEGIN {print a / b}')"
else
  echo "kamailio: not installed (test/setup.sh installs it)"
fi
