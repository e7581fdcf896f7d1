#!/usr/bin/env bash
# make test-deb (called by make test): the Debian package, end to end.
#  1. builds edgesip for arm64 and amd64 twice and checks the two builds are
#     byte-identical (reproducible), plus an older version for the upgrade test;
#  2. lintian: no errors; Depends/Suggests as promised (Qt only suggested);
#  3. in a Debian 12 chroot per architecture (arm64 runs under qemu-user/binfmt):
#     install (pulls Debian's nodejs; user and data dir created; unit enabled), the
#     native addons load on Debian's node, the daemon runs as the service user and
#     answers SIP OPTIONS, the CLI talks to it; upgrade keeps config, secrets and
#     registrations; remove keeps the data; purge deletes it.
# Needs root (chroot, mmdebstrap). Base chroots are cached (test/deb/base-chroot.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=EDGESIP_CACHE,EDGESIP_DEB_ARCHES bash "$0" "$@"
fi
arches=${EDGESIP_DEB_ARCHES:-"amd64 arm64"}

step() { printf '== deb: %s\n' "$*"; }
fail() { printf 'deb test FAILED: %s\n' "$*" >&2; exit 1; }

# --- host tools -------------------------------------------------------------------
need=()
for tool_pkg in mmdebstrap:mmdebstrap lintian:lintian dh:debhelper dpkg-parsechangelog:dpkg-dev file:file sipsak:sipsak sipp:sip-tester \
  qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support aarch64-linux-gnu-strip:binutils-aarch64-linux-gnu; do
  tool=${tool_pkg%%:*} pkg=${tool_pkg#*:}
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# arm64 binaries run through qemu-user: binfmt_misc must be mounted and the handler on.
if [[ " $arches " == *" arm64 "* ]]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || fail "qemu-aarch64 binfmt handler not registered"
fi

work=$(mktemp -d /tmp/edgesip-deb.XXXXXX)
roots=()
daemon_pids=()
cleanup() {
  for pid in "${daemon_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for r in "${roots[@]}"; do
    for m in dev/pts dev proc; do umount -l "$r/$m" 2>/dev/null || true; done
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- build, reproducibility, lintian -------------------------------------------------
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
for arch in $arches; do
  step "building $arch twice"
  bash debian/build.sh "$arch" >"$work/build-$arch-1.log" 2>&1 || { tail -20 "$work/build-$arch-1.log"; fail "build $arch"; }
  mv "build/edgesip_${version}_$arch.deb" "$work/first-$arch.deb"
  bash debian/build.sh "$arch" >"$work/build-$arch-2.log" 2>&1 || { tail -20 "$work/build-$arch-2.log"; fail "build $arch"; }
  cp "build/edgesip_${version}_$arch.deb" "$work/new-$arch.deb"
  a=$(sha256sum <"$work/first-$arch.deb" | cut -d' ' -f1)
  b=$(sha256sum <"$work/new-$arch.deb" | cut -d' ' -f1)
  [ "$a" = "$b" ] || fail "two builds of $arch differ ($a vs $b)"
  echo "reproducible: edgesip_${version}_$arch.deb sha256 $a"
  bash debian/build.sh "$arch" "0.0.9" >"$work/build-$arch-old.log" 2>&1 || fail "build of the older $arch package"
  mv "build/edgesip_0.0.9_$arch.deb" "$work/old-$arch.deb"

  step "lintian $arch"
  lintian --fail-on error "$work/new-$arch.deb" 2>&1 | grep -v 'running with root privileges' || true
  lintian --fail-on error "$work/new-$arch.deb" >/dev/null 2>&1 || fail "lintian reports errors for $arch"
  depends=$(dpkg-deb -f "$work/new-$arch.deb" Depends)
  suggests=$(dpkg-deb -f "$work/new-$arch.deb" Suggests)
  [[ "$suggests" == *qtbase5-dev* ]] || fail "qtbase5-dev is not under Suggests ($suggests)"
  [[ "$depends" != *qt* ]] || fail "a Qt package is in Depends ($depends)"
  [[ "$depends" == *"nodejs (>= 18.19)"* ]] || fail "Depends lacks nodejs (>= 18.19): $depends"
  echo "Depends: $depends"
  echo "Suggests: $suggests"
done

# --- the unit's exposure ------------------------------------------------------------
command -v systemd-analyze >/dev/null || { apt-get install -y -qq --no-install-recommends systemd >/dev/null; }
mkdir -p "$work/units"
cp debian/edgesip.edgesipd.service "$work/units/edgesipd.service"
cp debian/edgesip.edgesip-fxs.service "$work/units/edgesip-fxs.service"
for unit in edgesipd edgesip-fxs; do
  level=$(systemd-analyze security --offline=true "$work/units/$unit.service" 2>/dev/null | grep 'Overall exposure level' || true)
  echo "$level"
  [[ "$level" == *" OK"* || "$level" == *" SAFE"* ]] || fail "$unit.service is not rated OK or better: ${level:-no rating}"
done

# --- install, run, upgrade, remove, purge in a chroot --------------------------------
in_root() { chroot "$root" "$@"; }
apt_in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

start_daemon() { # $1 = log file; runs as the service account, like the unit
  chroot --userspec=edgesip:edgesip "$root" /usr/sbin/edgesipd --data-dir /var/lib/edgesip \
    --listen 127.0.0.1 --sip-port "$sip_port" --tls-port "$tls_port" --web-port "$web_port" >"$1" 2>&1 &
  daemon_pid=$!
  daemon_pids+=("$daemon_pid")
  for _ in $(seq 240); do
    grep -q '"edgesipd listening"' "$1" 2>/dev/null && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$1"; fail "edgesipd exited at start ($arch)"; }
    sleep 0.5
  done
  cat "$1"
  fail "edgesipd did not listen within 120 s ($arch)"
}

stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || fail "edgesipd did not stop cleanly ($arch)"
}

register_301() { # REGISTER with digest from the host (SIPp; MD5 is offered first in this test's config)
  printf 'SEQUENTIAL\n301;[authentication username=301 password=deb-test-301-pw]\n' >"$work/301.csv"
  sipp "127.0.0.1:$sip_port" -sf test/interop/register.xml -inf "$work/301.csv" -m 1 -i 127.0.0.1 \
    -nostdin -timeout 30 -timeout_error >/dev/null 2>&1 || fail "REGISTER of 301 failed ($arch)"
}

for arch in $arches; do
  step "$arch: chroot"
  base=$(bash test/deb/base-chroot.sh "$arch")
  root=$work/root-$arch
  mkdir -p "$root"
  tar -C "$root" -xf "$base"
  roots+=("$root")
  mount -t proc proc "$root/proc"
  mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
  cp "$work/old-$arch.deb" "$work/new-$arch.deb" "$root/tmp/"
  sip_port=$(( 30000 + RANDOM % 20000 ))
  tls_port=$(( sip_port + 1 ))
  web_port=$(( sip_port + 2 ))
  [ "$(in_root dpkg --print-architecture)" = "$arch" ] || fail "the chroot is not $arch"
  ! in_root sh -c 'command -v node' >/dev/null || fail "node is in the base chroot already"

  step "$arch: install the previous version (pulls Debian's nodejs)"
  apt_in_root install "/tmp/old-$arch.deb" >"$work/install-$arch.log" 2>&1 || { tail -30 "$work/install-$arch.log"; fail "install ($arch)"; }
  grep -E '^(Setting up|Unpacking) (nodejs|edgesip)' "$work/install-$arch.log" | sed 's/^/  /'
  echo "  node $(in_root node --version) from $(in_root dpkg-query -W -f='${Package} ${Version}' nodejs)"
  in_root getent passwd edgesip >/dev/null || fail "no edgesip user ($arch)"
  [ "$(in_root stat -c '%U:%G %a' /var/lib/edgesip)" = "edgesip:edgesip 750" ] || fail "data dir owner/mode: $(in_root stat -c '%U:%G %a' /var/lib/edgesip)"
  [ -L "$root/etc/systemd/system/multi-user.target.wants/edgesipd.service" ] || fail "edgesipd.service not enabled ($arch)"
  [ ! -e "$root/etc/systemd/system/multi-user.target.wants/edgesip-fxs.service" ] || fail "the FXS unit must not be enabled"
  [ -f "$root/etc/edgesip/edgesipd.conf" ] || fail "conffile missing ($arch)"

  step "$arch: native addons load on Debian's node"
  out=$(in_root node -e "
    const pty = require('/usr/lib/edgesip/node_modules/node-pty');
    const t = pty.spawn('/bin/echo', ['pty-ok'], {});
    let s = ''; t.onData((d) => (s += d));
    t.onExit(() => { const b = require('/usr/lib/edgesip/node_modules/@serialport/bindings-cpp').autoDetect();
      console.log(s.trim(), typeof b.open === 'function' ? 'serial-ok' : 'serial-missing', process.arch); });")
  [ "$out" = "pty-ok serial-ok $( [ "$arch" = amd64 ] && echo x64 || echo arm64)" ] || fail "addons on $arch: $out"
  echo "  $out"
  # The FXS agent's bundle loads (serialport and node-pty inside) on Debian's node.
  fxs=$(in_root edgesip-fxs --version) || fail "edgesip-fxs does not run ($arch)"
  [[ "$fxs" == "edgesip-fxs "* ]] || fail "edgesip-fxs --version says: $fxs ($arch)"

  step "$arch: the daemon runs as edgesip and answers OPTIONS; the CLI talks to it"
  start_daemon "$work/daemon-$arch-1.log"
  sipsak -s "sip:ping@127.0.0.1:$sip_port" >/dev/null || fail "no answer to OPTIONS over UDP ($arch)"
  sipsak -s "sip:ping@127.0.0.1:$sip_port" -E tcp >/dev/null || fail "no answer to OPTIONS over TCP ($arch)"
  [ "$(in_root stat -c %U /var/lib/edgesip/config.json)" = edgesip ] || fail "config.json not owned by edgesip"
  grep -q 'initial password (shown once)' "$work/daemon-$arch-1.log" || fail "no generated first admin password at first start ($arch)"
  openssl s_client -connect "127.0.0.1:$web_port" -tls1_3 </dev/null 2>/dev/null | grep -q 'TLSv1.3' || fail "the HTTPS admin does not speak TLS 1.3 ($arch)"
  echo "  HTTPS admin on $web_port: TLS 1.3"
  in_root edgesip ext add 301 --password deb-test-301-pw --name "Deb test" >/dev/null || fail "edgesip ext add ($arch)"
  in_root edgesip ext list --json | grep -q '"number":"301"' || fail "edgesip ext list ($arch)"
  printf 'deb-test admin passphrase\n' | in_root edgesip admin passwd --password-stdin >/dev/null || fail "edgesip admin passwd ($arch)"
  in_root edgesip admin list --json | grep -q '"user":"admin"' || fail "edgesip admin list ($arch)"
  [ "$(in_root stat -c '%U %a' /var/lib/edgesip/admins.json)" = "edgesip 600" ] || fail "admins.json owner/mode ($arch)"
  stop_daemon
  # SIPp knows only MD5 and answers the first challenge: offer MD5 first, as an
  # admin with such phones would.
  in_root node -e "
    const f = '/var/lib/edgesip/config.json'; const fs = require('fs');
    const c = JSON.parse(fs.readFileSync(f)); c.sip.digestAlgorithms = ['MD5', 'SHA-256'];
    fs.writeFileSync(f, JSON.stringify(c, null, 2));"
  start_daemon "$work/daemon-$arch-2.log"
  register_301
  in_root edgesip reg list --json | grep -q '"aor":"301"' || fail "301 not registered ($arch)"
  stop_daemon
  before=$(in_root sha256sum /var/lib/edgesip/config.json /var/lib/edgesip/secrets.json)
  [ -s "$root/var/lib/edgesip/registrations.json" ] || fail "no registrations.json after stop ($arch)"

  step "$arch: upgrade $version over 0.0.9 keeps config, secrets and registrations"
  echo 'EDGESIPD_OPTS="--listen 127.0.0.1"  # changed by the admin' >>"$root/etc/edgesip/edgesipd.conf"
  apt_in_root install "/tmp/new-$arch.deb" >"$work/upgrade-$arch.log" 2>&1 || { tail -30 "$work/upgrade-$arch.log"; fail "upgrade ($arch)"; }
  [ "$(in_root dpkg-query -W -f='${Version}' edgesip)" = "$version" ] || fail "not upgraded ($arch)"
  [ "$(in_root sha256sum /var/lib/edgesip/config.json /var/lib/edgesip/secrets.json)" = "$before" ] || fail "upgrade changed config or secrets ($arch)"
  grep -q 'changed by the admin' "$root/etc/edgesip/edgesipd.conf" || fail "upgrade lost the admin's conffile change ($arch)"
  start_daemon "$work/daemon-$arch-3.log"
  grep -q '"restored":1' "$work/daemon-$arch-3.log" || fail "registration not restored after upgrade ($arch)"
  in_root edgesip reg list --json | grep -q '"aor":"301"' || fail "301 lost by the upgrade ($arch)"
  sipsak -s "sip:ping@127.0.0.1:$sip_port" >/dev/null || fail "no OPTIONS answer after upgrade ($arch)"
  stop_daemon

  step "$arch: remove keeps the data, purge deletes it"
  apt_in_root remove edgesip >"$work/remove-$arch.log" 2>&1 || fail "remove ($arch)"
  [ ! -e "$root/usr/lib/edgesip" ] && [ ! -e "$root/usr/sbin/edgesipd" ] || fail "remove left the program ($arch)"
  [ -f "$root/var/lib/edgesip/config.json" ] && [ -f "$root/var/lib/edgesip/registrations.json" ] || fail "remove deleted the data ($arch)"
  [ -f "$root/etc/edgesip/edgesipd.conf" ] || fail "remove deleted the conffile ($arch)"
  apt_in_root purge edgesip >"$work/purge-$arch.log" 2>&1 || fail "purge ($arch)"
  [ ! -e "$root/var/lib/edgesip" ] && [ ! -e "$root/etc/edgesip" ] || fail "purge left data or config ($arch)"
  [ "$(in_root dpkg-query -W -f='${db:Status-Abbrev}' edgesip 2>/dev/null || true)" != "ii " ] || fail "still installed ($arch)"
  echo "  $arch: install, run, upgrade, remove and purge passed"
  for m in dev/pts dev proc; do umount -l "$root/$m" 2>/dev/null || true; done
done
step "all passed ($arches)"
