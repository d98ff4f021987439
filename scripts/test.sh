#!/usr/bin/env bash
# The whole test suite: starts the services the tests use (installing them from package
# registries when missing), then runs every test of the workspace with every adapter enabled.
# Extra arguments go to `cargo test`, e.g. `scripts/test.sh -p eventwright`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-deps.sh
# Assigned first: `eval "$(...)"` alone would hide a failed start behind eval's own status.
services_env="$(scripts/services.sh up)"
eval "$services_env"
# Generated projects build in a target dir of their own, shared between them, so a nested cargo
# never waits on this one's lock.
export EVENTWRIGHT_E2E_TARGET="${EVENTWRIGHT_E2E_TARGET:-$PWD/target/generated}"

cargo test --workspace --all-features --locked "$@"
