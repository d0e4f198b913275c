#!/usr/bin/env bash
# The main job on the local emulator: the example agent (examples/agent) deployed as code with
# its S3 Files workspace, invoked from two sessions that share /mnt/data, the files shown as
# the agent lists them and as objects in the bucket, then everything destroyed.
#   scripts/try-local.sh [SPEC]     (default examples/agent/agentfs.toml; PORT=4599)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
spec=${1:-examples/agent/agentfs.toml}
port=${PORT:-4599}
cargo build --quiet
emulator/serve --install-only
AGENTFS_PY=${AGENTFS_EMULATOR_VENV:-$root/emulator/.venv}/bin/python
log=$(mktemp)
emulator/serve --port "$port" >"$log" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.2; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
agentfs=${CARGO_TARGET_DIR:-$root/target}/debug/agentfs
work=$(mktemp -d)
cp -r "$(dirname "$spec")"/. "$work/"
cp "$spec" "$work/agentfs.toml"
cd "$work"
"$agentfs" apply --auto-approve
"$agentfs" output
"$agentfs" apply --auto-approve   # a second apply: nothing to do

session_a=session-a-$(date +%s)-0000000000000000000000
session_b=session-b-$(date +%s)-0000000000000000000000
echo "== session A writes a.txt"
"$agentfs" invoke --session "$session_a" --payload '{"write": {"name": "a.txt", "text": "written by session A"}}'
echo
echo "== session B writes b.txt and lists the shared /mnt/data"
"$agentfs" invoke --session "$session_b" --payload '{"write": {"name": "b.txt", "text": "written by session B"}}'
echo
sleep 1   # the S3 Files export delay
bucket=$("$agentfs" output bucket_name)
echo "== objects in s3://$bucket"
"$AGENTFS_PY" - "$bucket" <<'PY'
import sys, boto3
s3 = boto3.client("s3")
for v in s3.list_object_versions(Bucket=sys.argv[1]).get("Versions", []):
    body = s3.get_object(Bucket=sys.argv[1], Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
    print(f"  {v['Key']}  ({v['Size']} bytes, version {v['VersionId'][:8]}): {body.decode()}")
PY
"$agentfs" destroy --auto-approve
