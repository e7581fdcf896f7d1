#!/usr/bin/env bash
# make test-image: boots the arm64 UEFI firmware image (build/edgesip-<version>-uefi-arm64.img.zst,
# or $EDGESIP_IMAGE) in qemu and checks it from the host. Run as root (apt-get, unshare).
# The image itself is never written: each VM runs on a qcow2 overlay in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=EDGESIP_CACHE,EDGESIP_IMAGE,EDGESIP_RPI_IMAGE,EDGESIP_KEEP_QEMU bash "$0" "$@"
fi
export EDGESIP_ROOT=$PWD

# Host tools, installed only when missing (tool or file : Debian package).
need_apt=()
for check_pkg in qemu-system-aarch64:qemu-system-arm /usr/share/AAVMF/AAVMF_CODE.fd:qemu-efi-aarch64 \
  qemu-img:qemu-utils qemu-io:qemu-utils mcopy:mtools sfdisk:fdisk ssh:openssh-client ssh-keygen:openssh-client \
  sipp:sip-tester openssl:openssl zstd:zstd ip:iproute2 unshare:util-linux node:nodejs npm:npm \
  mkimage:u-boot-tools debugfs:e2fsprogs blkid:util-linux mdir:mtools; do
  check=${check_pkg%%:*} pkg=${check_pkg#*:}
  case "$check" in
    /*) [ -e "$check" ] ;;
    *) command -v "$check" >/dev/null || [ -x "/usr/sbin/$check" ] ;;
  esac || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  mapfile -t need_apt < <(printf '%s\n' "${need_apt[@]}" | sort -u)
  echo "test-image: installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
[ -d node_modules/node-pty ] || { echo "test-image: installing npm dependencies (npm ci)"; npm ci --no-audit --no-fund --loglevel=error; }

# The image under test.
if [ -z "${EDGESIP_IMAGE:-}" ]; then
  version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
  EDGESIP_IMAGE=build/edgesip-$version-uefi-arm64.img.zst
fi
if [ ! -f "$EDGESIP_IMAGE" ]; then
  echo "test-image: image not found: $EDGESIP_IMAGE" >&2
  echo "test-image: build it first with \`make image\` (or set EDGESIP_IMAGE to an image file)" >&2
  exit 1
fi
EDGESIP_IMAGE=$(realpath "$EDGESIP_IMAGE")
export EDGESIP_IMAGE
echo "== image tests on $EDGESIP_IMAGE"

echo "== test list guard"
mapfile -t listed < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' test/qemu/image.list | grep -v '^$' || true)
[ ${#listed[@]} -gt 0 ] || { echo "test/qemu/image.list names no test file" >&2; exit 1; }
for f in "${listed[@]}"; do [ -f "$f" ] || { echo "listed image test missing: $f" >&2; exit 1; }; done
unlisted=$(comm -23 <(find test/qemu -name '*.test.ts' | sort) <(printf '%s\n' "${listed[@]}" | sort))
[ -z "$unlisted" ] || { echo "test files not in test/qemu/image.list:" >&2; echo "$unlisted" >&2; exit 1; }

echo "== build"
node appliance/build.mjs --image-tests
compiled=()
for f in "${listed[@]}"; do compiled+=("dist-test/${f%.ts}.js"); done

# Node 20 (the machine's) only: each file boots the image several times under TCG, minutes
# per boot, so the unit suite's second run on Node 18 would double a long run for nothing:
# the code under test here is the image, not Node.
# A fresh network namespace with only `lo` up: qemu's user networking (slirp) needs no real
# network, every hostfwd listens on 127.0.0.1, and the guest can reach nothing outside.
mkdir -p test-artifacts/qemu
echo "== image tests on Node $(node --version) (${#compiled[@]} files; serial logs in test-artifacts/qemu/)"
# One file at a time: node --test would run them in parallel, and the Pi image's checks
# (decompressing, dd, debugfs) would then slow the UEFI VM's timed first boot.
unshare --net -- bash -c 'ip link set lo up && for f; do node --test "$f" || exit; done' netns "${compiled[@]}"
