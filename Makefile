# EdgeSIP build entry points. `make run` and `make test` work on a fresh Debian 12
# machine: each installs what it needs (apt, npm) when missing.
.PHONY: all deps build run test test-unit test-deb test-image image deb bench fuzz lint clean

DATA_DIR ?= var
RUN_ARGS ?=

all: build

deps:
	@bash test/setup.sh

build: deps
	node appliance/build.mjs

# Starts edgesipd in the foreground on an embedded default config under ./var/.
run: build
	@echo "edgesipd: data dir $(DATA_DIR)/ — SIP on udp/tcp 5060 and tls 5061; try: sipsak -s sip:ping@127.0.0.1"
	@echo "web admin: https://127.0.0.1:8443/ — user admin; the first start prints its password once below"
	node dist/edgesipd.js --data-dir $(DATA_DIR) $(RUN_ARGS)

test: test-unit test-deb test-image

test-unit:
	bash test/run.sh

# The Debian packages for arm64 and amd64: reproducible builds, lintian, and install,
# run, upgrade, remove and purge in Debian 12 chroots (arm64 under qemu-user).
test-deb:
	bash test/deb/run.sh

# The arm64 appliance images in build/ (BOARD=uefi, rpi or all), as root on a Debian 12
# build machine; host tools are installed when missing. See docs/image.md.
BOARD ?= all
image: deps
	BOARD=$(BOARD) bash image/build.sh

# Builds both images, then boots the UEFI one in qemu (arm64 under TCG) and checks it
# from the outside: SSH, SIPp registrations and a call, TLS, reboots, a power cut.
test-image:
	BOARD=all bash image/build.sh
	bash test/qemu/run.sh

ARCH ?= arm64
# build/edgesip_<version>_$(ARCH).deb (ARCH=arm64 or amd64).
deb: deps
	bash debian/build.sh $(ARCH)

bench: build
	bash test/bench/run.sh

# The long fuzz run: 100,000+ mutated messages over UDP and TCP against a live daemon.
fuzz: build
	bash test/fuzz/run.sh

lint: deps
	npx --no-install tsc -p tsconfig.json

clean:
	rm -rf dist dist-test build
