# EdgeSIP build entry points. `make run` and `make test` work on a fresh Debian 12
# machine: each installs what it needs (apt, npm) when missing.
.PHONY: all deps build run test bench fuzz lint clean

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
	node dist/edgesipd.js --data-dir $(DATA_DIR) $(RUN_ARGS)

test:
	bash test/run.sh

bench: build
	bash test/bench/run.sh

# The long fuzz run: 100,000+ mutated messages over UDP and TCP against a live daemon.
fuzz: build
	bash test/fuzz/run.sh

lint: deps
	npx --no-install tsc -p tsconfig.json

clean:
	rm -rf dist dist-test
