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

# Offered rates (transactions/s) tried in turn; each step runs for about 3 s. The figure
# is the best achieved rate of a step that had zero failed transactions.
RATES=${BENCH_RATES:-"1000 2000 4000 6000 8000 12000 16000 24000 32000"}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== parser + serializer"
npx --no-install esbuild test/bench/parser.bench.ts --bundle --platform=node --target=node18 --format=cjs --log-level=warning --outfile="$work/parser.bench.js"
node "$work/parser.bench.js"

# One SIPp run at an offered rate; prints "<ok> <failed> <seconds>".
# SCENARIO and SIPP_EXTRA select the scenario (OPTIONS by default).
SCENARIO=test/bench/options.xml
SIPP_EXTRA=()
sipp_step() { # $1 = port, $2 = rate
  local calls=$(( $2 * 3 )) start end ok failed
  rm -f "$work/screen"
  start=$(date +%s.%N)
  sipp 127.0.0.1:"$1" -sf "$SCENARIO" "${SIPP_EXTRA[@]}" -m "$calls" -r "$2" -rp 1000 -l 5000 \
    -i 127.0.0.1 -nostdin -trace_screen -screen_file "$work/screen" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  ok=$(grep -aE 'Successful call' "$work/screen" | awk '{print $(NF)}' | tail -1)
  failed=$(grep -aE 'Failed call' "$work/screen" | awk '{print $(NF)}' | tail -1)
  echo "${ok:-0} ${failed:-0} $(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
}

# Best zero-failure rate; prints "<rate> <offered>".
best_rate() { # $1 = port
  local best=0 offered=0 ok failed secs rate
  for r in $RATES; do
    read -r ok failed secs < <(sipp_step "$1" "$r")
    [ "$failed" = 0 ] && [ "$ok" -gt 0 ] || break
    rate=$(awk -v n="$ok" -v s="$secs" 'BEGIN {printf "%d", n / s}')
    [ "$rate" -gt "$best" ] && best=$rate offered=$r
  done
  echo "$best $offered"
}

npx --no-install esbuild test/bench/seed-accounts.ts --bundle --platform=node --target=node18 --format=cjs --log-level=warning --outfile="$work/seed.js"

echo "== OPTIONS over UDP with SIPp (zero failures; 2 cores shared by SIPp and the server)"
mkdir -p "$work/edgesipd"
node "$work/seed.js" "$work/edgesipd" 0 "$work/none.csv"
node dist/edgesipd.js --data-dir "$work/edgesipd" --listen 127.0.0.1 --sip-port 15060 --tls-port 15061 >"$work/edgesipd.log" &
edgesipd_pid=$!
for _ in $(seq 50); do grep -q '"edgesipd listening"' "$work/edgesipd.log" 2>/dev/null && break; sleep 0.1; done
read -r ours offered < <(best_rate 15060)
rss=$(awk '/VmHWM/ {print $2}' /proc/$edgesipd_pid/status)
kill -TERM $edgesipd_pid; wait $edgesipd_pid || true
printf 'edgesipd: %d OPTIONS/s (offered %d/s), peak RSS %.1f MiB\n' "$ours" "$offered" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')"

if [ -x /usr/sbin/kamailio ]; then
  sed 's/KAM_PORT/15070/' test/bench/kamailio.cfg > "$work/kamailio.cfg"
  /usr/sbin/kamailio -f "$work/kamailio.cfg" -DD -m 64 -M 8 -P "$work/kam.pid" >"$work/kamailio.log" 2>&1 &
  kam_pid=$!
  sleep 1
  read -r theirs koffered < <(best_rate 15070)
  kill -TERM $kam_pid; wait $kam_pid 2>/dev/null || true
  printf 'kamailio: %d OPTIONS/s (offered %d/s, 1 UDP worker, stateless sl_send_reply)\n' "$theirs" "$koffered"
  [ "$theirs" -gt 0 ] && printf 'ratio edgesipd/kamailio: %.2f\n' "$(awk -v a="$ours" -v b="$theirs" 'BEGIN {print a / b}')"
else
  echo "kamailio: not installed (test/setup.sh installs it)"
fi

echo "== REGISTER with digest over UDP with SIPp (401 round trip included; zero failures)"
mkdir -p "$work/reg"
node "$work/seed.js" "$work/reg" 10000 "$work/users.csv"
node dist/edgesipd.js --data-dir "$work/reg" --listen 127.0.0.1 --sip-port 15080 --tls-port 15081 >"$work/reg.log" &
reg_pid=$!
for _ in $(seq 100); do grep -q '"edgesipd listening"' "$work/reg.log" 2>/dev/null && break; sleep 0.1; done
rss_empty=$(awk '/VmRSS/ {print $2}' /proc/$reg_pid/status)
SCENARIO=test/interop/register.xml
SIPP_EXTRA=(-inf "$work/users.csv")
RATES=${BENCH_REG_RATES:-"250 500 1000 1500 2000 3000"}
read -r regs regoffered < <(best_rate 15080)
printf 'edgesipd: %d REGISTER transactions/s with digest (offered %d/s; each = REGISTER, 401, REGISTER, 200)\n' "$regs" "$regoffered"
kill -TERM $reg_pid; wait $reg_pid || true
# Memory with 10,000 contacts: a fresh start, each account registered once.
rm -f "$work/reg/registrations.json"
node dist/edgesipd.js --data-dir "$work/reg" --listen 127.0.0.1 --sip-port 15080 --tls-port 15081 >"$work/reg.log" &
reg_pid=$!
for _ in $(seq 100); do grep -q '"edgesipd listening"' "$work/reg.log" 2>/dev/null && break; sleep 0.1; done
sipp 127.0.0.1:15080 -sf test/interop/register.xml -inf "$work/users.csv" -m 10000 -r 1000 -rp 1000 -l 2000 \
  -i 127.0.0.1 -nostdin >/dev/null 2>&1 || true
count=$(node dist/edgesip.js --data-dir "$work/reg" reg list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s||"[]").length))')
rss_busy=$(awk '/VmRSS/ {print $2}' /proc/$reg_pid/status)
# The REGISTER transactions live on for 32 s (Timer J); measure again once they are gone.
sleep 35
rss_full=$(awk '/VmRSS/ {print $2}' /proc/$reg_pid/status)
printf 'edgesipd: %d registered contacts, RSS %.1f MiB once transactions expired (%.1f MiB right after registering, %.1f MiB with none)\n' \
  "$count" "$(awk -v r="$rss_full" 'BEGIN {print r / 1024}')" "$(awk -v r="$rss_busy" 'BEGIN {print r / 1024}')" "$(awk -v r="$rss_empty" 'BEGIN {print r / 1024}')"
kill -TERM $reg_pid; wait $reg_pid || true

echo "== calls over UDP with SIPp (INVITE with digest, 180, 200, ACK, BYE; no media; zero failed calls)"
# Caller 1000 and callee 1001 (seed-accounts passwords); the callee is a SIPp UAS that
# registers once from its port and then answers every call.
call_rate() { # $1 = server port, $2 = label; prints "<calls/s> <offered>"
  local csv="$work/callee.csv"
  sed -n '1p;3p' "$work/calls.csv" > "$csv"
  sipp 127.0.0.1:"$1" -sf test/interop/register.xml -inf "$csv" -p 15192 -m 1 -i 127.0.0.1 -nostdin >/dev/null 2>&1 \
    || { echo "0 0"; return; }
  sipp 127.0.0.1:"$1" -sf test/interop/call-uas.xml -p 15192 -i 127.0.0.1 -nostdin -bg >/dev/null 2>&1 || true
  SCENARIO=test/interop/call-uac.xml
  SIPP_EXTRA=(-s 1001 -au 1000 -ap bench-1000-pw -key caller 1000 -d 0 -p 15191)
  RATES=${BENCH_CALL_RATES:-"100 200 400 600 800 1000 1200 1600 2000"}
  best_rate "$1"
  pkill -f 'call-uas.xml -p 15192' || true
  sleep 1
}
mkdir -p "$work/calls"
node "$work/seed.js" "$work/calls" 2 "$work/calls.csv"
node dist/edgesipd.js --data-dir "$work/calls" --listen 127.0.0.1 --sip-port 15090 --tls-port 15091 >"$work/calls.log" &
calls_pid=$!
for _ in $(seq 50); do grep -q '"edgesipd listening"' "$work/calls.log" 2>/dev/null && break; sleep 0.1; done
read -r cps coffered < <(call_rate 15090 edgesipd)
printf 'edgesipd: %d calls/s (offered %d/s; each call = 2 INVITE, 407, 100, 180, 200, 2 ACK, BYE, 200 on the caller side and INVITE, 180, 200, ACK, BYE, 200 on the callee side)\n' "$cps" "$coffered"

kill -TERM $calls_pid; wait $calls_pid || true

echo "== 1,000 concurrent calls (each held 30 s), edgesipd RSS"
# A fresh daemon, so the figure is not the garbage of the rate runs.
node dist/edgesipd.js --data-dir "$work/calls" --listen 127.0.0.1 --sip-port 15090 --tls-port 15091 >"$work/calls.log" &
calls_pid=$!
for _ in $(seq 50); do grep -q '"edgesipd listening"' "$work/calls.log" 2>/dev/null && break; sleep 0.1; done
sed -n '1p;3p' "$work/calls.csv" > "$work/callee.csv"
sipp 127.0.0.1:15090 -sf test/interop/register.xml -inf "$work/callee.csv" -p 15192 -m 1 -i 127.0.0.1 -nostdin >/dev/null 2>&1 || true
sipp 127.0.0.1:15090 -sf test/interop/call-uas.xml -p 15192 -i 127.0.0.1 -nostdin -bg >/dev/null 2>&1 || true
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$calls_pid/status)
sipp 127.0.0.1:15090 -sf test/interop/call-uac.xml -s 1001 -au 1000 -ap bench-1000-pw -key caller 1000 -d 30000 -p 15191 \
  -m 1000 -r 200 -l 1000 -i 127.0.0.1 -nostdin -bg >/dev/null 2>&1 || true
active=0
for _ in $(seq 60); do
  sleep 1
  active=$(node dist/edgesip.js --data-dir "$work/calls" calls --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s||"[]").filter(c=>c.state==="answered").length))')
  [ "$active" -ge 1000 ] && break
done
rss_calls=$(awk '/VmRSS/ {print $2}' /proc/$calls_pid/status)
printf 'edgesipd: %d answered calls at once, RSS %.1f MiB (%.1f MiB before the calls)\n' "$active" \
  "$(awk -v r="$rss_calls" 'BEGIN {print r / 1024}')" "$(awk -v r="$rss_idle" 'BEGIN {print r / 1024}')"
pkill -f 'call-uac.xml' || true
pkill -f 'call-uas.xml -p 15192' || true
kill -TERM $calls_pid; wait $calls_pid || true

if [ -x /usr/sbin/kamailio ]; then
  sed 's/KAM_PORT/15095/g' test/bench/kamailio-calls.cfg > "$work/kamailio-calls.cfg"
  /usr/sbin/kamailio -f "$work/kamailio-calls.cfg" -DD -m 128 -M 16 -P "$work/kamc.pid" >"$work/kamailio-calls.log" 2>&1 &
  kamc_pid=$!
  sleep 1
  read -r kcps kcoffered < <(call_rate 15095 kamailio)
  kill -TERM $kamc_pid; wait $kamc_pid 2>/dev/null || true
  printf 'kamailio: %d calls/s (offered %d/s; stateful proxy with record-route, 1 UDP worker)\n' "$kcps" "$kcoffered"
  [ "$kcps" -gt 0 ] && printf 'ratio edgesipd/kamailio (calls): %.2f\n' "$(awk -v a="$cps" -v b="$kcps" 'BEGIN {print a / b}')"
fi
