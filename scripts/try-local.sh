#!/usr/bin/env bash
# The reference stack end to end on the local emulator: apply, output, destroy.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-examples/s3files-runtime.toml}
port=${PORT:-4599}
cargo build --quiet
emulator/serve --install-only
log=$(mktemp)
emulator/serve --port "$port" >"$log" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.2; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
work=$(mktemp -d)
cp "$spec" "$work/agentfs.toml"
cd "$work"
agentfs=$OLDPWD/target/debug/agentfs
"$agentfs" apply --auto-approve
"$agentfs" output
"$agentfs" apply --auto-approve   # a second apply: nothing to do
"$agentfs" destroy --auto-approve
