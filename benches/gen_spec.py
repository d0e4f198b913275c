#!/usr/bin/env python3
"""Writes a spec of N renamed copies of the reference stack (26 resources each), one VPC per
copy, for measuring the offline pipeline from the command line:

    benches/gen_spec.py 193 > /tmp/big.toml          # ~5,000 resources
    /usr/bin/time -v target/release/agentfs plan /tmp/big.toml > /dev/null
"""

import re
import sys
from pathlib import Path

REFERENCE = (Path(__file__).resolve().parent.parent / "examples/s3files-runtime.toml").read_text()


def copy(i: int) -> str:
    body = REFERENCE.split("# ---------------------------------------------------------------- network", 1)[1]
    body = body.split("# ---------------------------------------------------------------- outputs", 1)[0]
    names = set(re.findall(r"^\[\[?[a-z0-9_]+\.([A-Za-z0-9_-]+)", body, re.M))
    for name in sorted(names, key=len, reverse=True):
        body = re.sub(rf'(?<=[\[."]){re.escape(name)}(?=[\]."])', f"{name}_c{i}", body)
    body = re.sub(r'service = "s3_c\d+"', 'service = "s3"', body)
    body = body.replace("-role\"", f"-role-{i}\"").replace("fsverify_agent", f"fsverify_agent_{i}")
    body = body.replace("${stack}-${account_id}-${region}", f"${{stack}}-{i}-${{account_id}}-${{region}}")
    return body


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print('[stack]\nname = "fsverify"\nregion = "us-east-1"\n')
    for i in range(copies):
        print(copy(i))


if __name__ == "__main__":
    main()
