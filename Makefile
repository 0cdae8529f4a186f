# The two commands of the README: `make demo` runs the product, `make test`
# runs every test. Both install what is missing first (scripts/bootstrap.sh).
SHELL := /bin/bash
# The tools bootstrap installs: cargo's (in CARGO_HOME, ~/.cargo by default)
# and wasm-opt (binaryen 116 from npm, ahead of any other wasm-opt).
export PATH := $(CURDIR)/node_modules/.bin:$(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)

.PHONY: demo test bootstrap build watch lint unit e2e compat openapi hostile bench weight

demo: bootstrap build
	@mkdir -p data
	NOTIFY_DEMO=true LEPTOS_SITE_ROOT=target/site ./target/release/server

test: bootstrap lint unit build e2e compat openapi hostile
	@echo "make test: all checks passed"

bootstrap:
	@./scripts/bootstrap.sh

build:
	cargo leptos build --release

# Development server with the demo data, rebuilt on every change.
watch: bootstrap
	NOTIFY_DEMO=true cargo leptos watch

lint:
	cargo fmt --all --check
	cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate,frontend/hydrate --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --workspace
	scripts/test-on-postgres.sh

e2e:
	cd end2end && npx playwright test

# Notify's official Python and Node clients against the release server.
compat:
	./compat/run.sh

# The OpenAPI description checked by openapi-spec-validator and schemathesis
# (--checks all) against the release server.
openapi:
	./openapi/run.sh

# Hostile inputs against the release server while /_status is timed: fails
# on a request over 1 s of server CPU, /_status p99 over 50 ms, memory
# growth over 300 MB, a 5xx or a restart.
hostile:
	python3 hostile/run.py

# Load test of the v2 API (needs `make build` and wrk).
bench:
	./bench/api.sh

# Page weight of the release build (needs `make build` first).
weight:
	@./bench/page-weight.sh
