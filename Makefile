# Every entry point of the project. Foundry tools are called through their native binaries (FORGE below):
# the npm launchers exit 0 even when a test fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
FOUNDRY_BIN := node_modules/@foundry-rs
FORGE := $(FOUNDRY_BIN)/forge-linux-amd64/bin/forge
export PONDER_TELEMETRY_DISABLED := true
export NEXT_TELEMETRY_DISABLED := 1
# The indexer's tests (end-to-end included) also run on PostgreSQL when it answers on the usual port.
DATABASE_URL ?= $(shell pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && echo postgresql://postgres@127.0.0.1:5432/test)
export DATABASE_URL

# Gas per named operation, reviewed like code: invariant runs vary, and a fixed fuzz seed keeps fuzz gas stable.
SNAPSHOT_SCOPE := --no-match-path 'test/invariant/*' --fuzz-seed 1
TS_SOURCES := "tools/**/*.ts" "keepers/**/*.ts" "indexer/**/*.ts" "scripts/**/*.ts" "test-e2e/**/*.ts" wagmi.config.ts vitest.config.ts

.PHONY: help install build test test-forge test-ts typecheck lint fmt fmt-check demo up deploy bench-gas bench-liquidator snapshot clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

install: node_modules/.install-stamp ## npm ci (again only when package-lock.json changes)
node_modules/.install-stamp: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: install ## Compile contracts, then generate the typed ABI module from their artifacts
	$(FORGE) build
	npx wagmi generate

test: build ## Every test: forge (unit, fuzz, invariant, gas), static analysis (lint), TypeScript types, vitest (keepers, indexer, end to end)
	@mkdir -p .test-logs
	$(MAKE) --no-print-directory fmt-check typecheck
	$(FORGE) test 2>&1 | tee .test-logs/forge.log
	$(FORGE) snapshot --check --tolerance 1 $(SNAPSHOT_SCOPE)
	npx tsx tools/lint.ts
	npx vitest run 2>&1 | tee .test-logs/vitest.log
	@scripts/test-summary.sh .test-logs/forge.log .test-logs/vitest.log

test-forge: build ## Forge tests only
	$(FORGE) test

test-ts: build ## Vitest only
	npx vitest run

typecheck: build ## TypeScript types of keepers, scripts, tests and indexer
	npx tsc --noEmit -p .
	npx tsc --noEmit -p indexer

lint: build ## Static analysis: forge lint (high, medium) and solhint's security rules, every finding triaged in security/lint-triage.md
	npx tsx tools/lint.ts

fmt: install ## Format Solidity and TypeScript
	$(FORGE) fmt
	npx prettier --write $(TS_SOURCES)

fmt-check: install ## Fail on unformatted Solidity or TypeScript
	$(FORGE) fmt --check
	npx prettier --check $(TS_SOURCES)

demo: build ## The whole stack on a local chain: deploy, agents, indexer, fee keeper, then a report
	npx tsx scripts/demo.ts

up: build ## Like demo, but keeps anvil, the indexer and the keeper running and prints their URLs
	npx tsx scripts/demo.ts --keep-running

deploy: build ## Deploy the protocol to RPC_URL with PRIVATE_KEY; writes deployments/<chainId>.json
	@test -n "$(RPC_URL)" || { echo "deploy: RPC_URL is not set (make deploy RPC_URL=https://… PRIVATE_KEY=0x…)"; exit 2; }
	@test -n "$(PRIVATE_KEY)" || { echo "deploy: PRIVATE_KEY is not set (the deployer's key; there is no default)"; exit 2; }
	$(FORGE) script script/Deploy.s.sol:Deploy --rpc-url "$(RPC_URL)" --broadcast --non-interactive --slow

bench-gas: build ## Gas tables: AIServiceAMM against Uniswap V2 (router and bare pair); portfolios, consortia, the oracle, the volatility feed, the Black–Scholes pricer and the option flows (against Opyn Gamma) against their goals
	$(FORGE) test --match-path test/gas/AIServiceAMM.gas.t.sol -vv
	$(FORGE) test --match-path 'test/gas/{AgentPortfolioManager,MultiAgentCoordinator,ComputePriceOracle,VolatilityFeed,BlackScholes}.gas.t.sol' -vv
	$(FORGE) test --match-path 'test/gas/AIPowerDerivatives*.gas.t.sol' -vv

bench-liquidator: build ## Liquidator latency: blocks from a vault becoming liquidatable to its liquidation by the real keeper process, over 24 vaults sinking at different blocks (goal: median ≤ 1, max ≤ 2)
	npx tsx scripts/bench-liquidator.ts

snapshot: build ## Rewrite .gas-snapshot
	$(FORGE) snapshot $(SNAPSHOT_SCOPE)

clean: ## Remove build output and local state
	rm -rf out cache generated .test-logs .demo indexer/.ponder broadcast
