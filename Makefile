# The two commands of the README: `make demo` runs the product, `make test`
# runs every test. Both install what is missing first (scripts/bootstrap.sh).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: demo test bootstrap build lint unit e2e bench

demo: bootstrap build
	@mkdir -p data
	NOTIFY_DEMO=true LEPTOS_SITE_ROOT=target/site ./target/release/server

test: bootstrap lint unit build e2e
	@echo "make test: all checks passed"

bootstrap:
	@./scripts/bootstrap.sh

build:
	cargo leptos build --release

lint:
	cargo fmt --all --check
	cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate,frontend/hydrate --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --workspace

e2e:
	cd end2end && npx playwright test

# Page weight of the release build (needs `make build` first).
weight:
	@./bench/page-weight.sh
