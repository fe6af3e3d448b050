# Every entry point of the project. Foundry tools are called through their native binaries: the npm
# launchers in node_modules/.bin exit 0 even when tests fail.
SHELL := /bin/bash
FOUNDRY_BIN := node_modules/@foundry-rs
FORGE := $(FOUNDRY_BIN)/forge-linux-amd64/bin/forge
ANVIL := $(FOUNDRY_BIN)/anvil-linux-amd64/bin/anvil

.PHONY: install build abis test test-forge test-ts demo up bench-gas snapshot fmt fmt-check clean

## install: npm ci, once per change of package-lock.json
install: node_modules/.install-stamp
node_modules/.install-stamp: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## build: contracts, then the typed ABI module generated from their artifacts
build: install
	$(FORGE) build
	npx wagmi generate

abis: build
