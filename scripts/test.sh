#!/usr/bin/env bash
# Every test: the emulator's own suite (pytest) and the Rust unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
emulator/serve --install-only --dev
emulator/.venv/bin/python -m pytest -q emulator/tests
# --nocapture: the reliability suites print their figures (k of N converged, calls per resource).
cargo test --all-targets -- --nocapture
