#!/usr/bin/env bash
# Installs what the build and the tests need, only when it is missing, so that
# `make test` works on a fresh Debian 12 machine. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
for tool_pkg in sipp:sip-tester sipsak:sipsak openssl:openssl ip:iproute2 unshare:util-linux kamailio:kamailio svwar:sipvicious chromium:chromium; do
  tool=${tool_pkg%%:*} pkg=${tool_pkg#*:}
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need_apt+=("$pkg")
done
# Chinese glyphs for the browser tests' screenshots of the zh-CN pages.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm dependencies: reinstall when the lock file is newer than the last install.
stamp=node_modules/.edgesip-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
