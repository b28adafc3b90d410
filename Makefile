# deliverylab: every target installs what is missing first, so each works alone on a fresh clone.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.deliverylab-installed
ARGS ?=

.PHONY: setup deps redis postgres netns chromium build run test test-json bench clean check-native

setup: deps redis netns check-native

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

# Runs of several nodes put each node in a network namespace (iproute2) and cut links with nftables: install both
# when we can; otherwise those scenarios are skipped, each saying why (not an error).
netns:
	@if command -v ip >/dev/null 2>&1 && command -v nft >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "ip or nft is missing: installing iproute2 and nftables with apt-get (for the multi-node scenarios)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 nftables >/dev/null || echo "apt-get failed: the multi-node scenarios will be skipped"; \
	else \
	  echo "note: ip and nft (iproute2, nftables) and root are needed for the multi-node scenarios; without them those scenarios are skipped"; \
	fi

# The PostgreSQL store's tests and scenarios make databases of their own on DL_POSTGRES_URL's server (default: this
# machine's, 127.0.0.1:5432 as postgres, trust authentication). Start an installed cluster that is down, or say what to do.
DL_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
postgres:
	@if psql "$(DL_POSTGRES_URL)" -Atqc 'select 1' >/dev/null 2>&1; then :; \
	elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$$(ls /etc/postgresql 2>/dev/null)" ]; then \
	  echo "PostgreSQL is installed but not answering: starting it"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; \
	  for i in $$(seq 1 50); do psql "$(DL_POSTGRES_URL)" -Atqc 'select 1' >/dev/null 2>&1 && exit 0; sleep 0.2; done; \
	  echo "PostgreSQL did not answer at $(DL_POSTGRES_URL) after starting"; exit 1; \
	else \
	  echo "PostgreSQL is required by the store's tests and the postgres scenarios and does not answer at $(DL_POSTGRES_URL)."; \
	  echo "Install it: 'sudo apt-get install -y postgresql' (Debian/Ubuntu), allow trust (or password) authentication for 127.0.0.1,"; \
	  echo "and a role that may CREATE DATABASE; or set DL_POSTGRES_URL to such a server."; exit 1; \
	fi

# The browser tests (test/browser, run by `make test`) drive Debian's /usr/bin/chromium with playwright-core, which
# downloads no browser: install it like redis-server.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "chromium is missing: installing it with apt-get (for the browser tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  [ -x /usr/bin/chromium ] || { echo "apt-get did not provide /usr/bin/chromium"; exit 1; }; \
	else \
	  echo "chromium is required by the browser tests (test/browser) and missing. Install it: 'sudo apt-get install -y chromium' (Debian/Ubuntu); the tests run /usr/bin/chromium."; exit 1; \
	fi

# The native addons must have been built/loaded: better-sqlite3 (compiled by npm) and uWebSockets.js (prebuilt binary).
check-native: deps
	@node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
	  || { echo "better-sqlite3's native build is missing: run 'npm rebuild better-sqlite3' (needs python3, make, g++)"; exit 1; }

# The power-loss and disk-fault interposer the lab runs the core under (native/powerloss.c), built with the machine's C compiler.
POWERLOSS_LIB := dist/native/powerloss.so
$(POWERLOSS_LIB): native/powerloss.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< -ldl -lpthread

# tsc, then the web chat: type-checked with the DOM library, bundled by esbuild into dist/web/chat.js.
build: deps $(POWERLOSS_LIB)
	npx tsc -p tsconfig.json
	npx tsc -p web/tsconfig.json
	node scripts/build-web.mjs

run: setup build
	node dist/lab/cli.js run all $(ARGS)

serve: setup build
	node dist/lab/cli.js serve $(ARGS)

test: setup postgres chromium build
	npx vitest run --config test/vitest.config.ts $(ARGS)

bench: setup build
	node dist/lab/cli.js bench $(ARGS)

clean:
	rm -rf dist data reports
