# deliverylab: every target installs what is missing first, so each works alone on a fresh clone.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.deliverylab-installed
ARGS ?=

.PHONY: setup deps redis build run test test-json bench clean check-native

setup: deps redis check-native

deps: $(NODE_MODULES_STAMP)

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# redis-server is a system package: install it with apt-get when we can, or say exactly what to do.
redis:
	@if command -v redis-server >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "redis-server is missing: installing it with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  command -v redis-server >/dev/null || { echo "apt-get did not provide redis-server"; exit 1; }; \
	else \
	  echo "redis-server (Redis 7) is required and missing. Install it: 'sudo apt-get install -y redis-server' (Debian/Ubuntu), 'brew install redis' (macOS), or set REDIS_URL for tests."; exit 1; \
	fi

# The native addons must have been built/loaded: better-sqlite3 (compiled by npm) and uWebSockets.js (prebuilt binary).
check-native: deps
	@node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
	  || { echo "better-sqlite3's native build is missing: run 'npm rebuild better-sqlite3' (needs python3, make, g++)"; exit 1; }

build: deps
	npx tsc -p tsconfig.json

run: setup build
	node dist/lab/cli.js run all $(ARGS)

serve: setup build
	node dist/lab/cli.js serve $(ARGS)

test: setup build
	npx vitest run --config test/vitest.config.ts $(ARGS)

bench: setup build
	node dist/lab/cli.js bench $(ARGS)

clean:
	rm -rf dist data reports
