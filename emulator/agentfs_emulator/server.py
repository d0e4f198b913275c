"""Entry point: moto's server with agentfs's extensions, plus control endpoints and fault injection.

    python -m agentfs_emulator --port 4566 [--config JSON] [--delay KIND=SECONDS] ...
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from . import s3_fixes, s3_public_access, calls, control, datapath, faults, hold, invoke, scheduler
from .config import CONFIG, DEFAULT_DELAYS

ENV_CONFIG = "AGENTFS_EMULATOR_CONFIG"


def install_extensions() -> None:
    from . import agentcore, agentcore_endpoints, agentcore_neighbours, consistency, ec2_realism, efs_fixes, errors, iam_fixes, interface_endpoints, kms_fixes, logs_fixes, model_hooks
    from .s3files import register

    s3_fixes.install()
    s3_public_access.install()

    errors.install()
    model_hooks.install()
    register.install()
    agentcore.install()
    agentcore_endpoints.install()
    agentcore_neighbours.install()
    ec2_realism.install()
    interface_endpoints.install()
    efs_fixes.install()
    iam_fixes.install()
    kms_fixes.install()
    logs_fixes.install()
    consistency.install()


class EmulatorApp:
    """WSGI middleware around moto's DomainDispatcherApplication."""

    def __init__(self, moto_app: Any):
        self.moto_app = moto_app
        # moto's backends are not thread-safe: AWS calls are served one at a time (latency is
        # injected outside the lock, so slow calls still overlap).
        self.lock = threading.RLock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(control.PREFIX):
            with self.lock:
                status, payload = control.handle(environ)
            body = json.dumps(payload, default=str, indent=1).encode()
            start_response(f"{status} {'OK' if status == 200 else 'ERROR'}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if invoke.matches(environ):
            return self._invoke(environ, start_response)
        if path.startswith("/moto-api"):
            with self.lock:
                return [b"".join(self.moto_app(environ, start_response))]
        return self._aws_call(environ, start_response)

    def _invoke(self, environ: dict[str, Any], start_response: Any) -> Any:
        """InvokeAgentRuntime: the agent runs outside the lock, so sessions overlap."""
        started = time.time()
        seen: dict[str, Any] = {}

        def record(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = status
            return start_response(status, headers)

        answer = invoke.handle(environ, record, self.lock)
        status_code = int(str(seen.get("status", "0")).split()[0])
        calls.CALLS.record("bedrock-agentcore", "InvokeAgentRuntime", "POST", environ.get("PATH_INFO", ""),
                           status_code, None, started, time.time() - started)
        return answer

    def _aws_call(self, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.time()
        service, operation = calls.identify(environ)
        delay = faults.latency_ms(operation)
        if delay > 0:
            time.sleep(delay / 1000.0)
        fault = faults.choose_fault(operation)
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        if fault:
            _drain(environ)  # an unread request body stalls the client until the socket closes
            status, headers, body = faults.fault_response(service, fault)
            start_response(f"{status} FAULT", headers + [("Content-Length", str(len(body)))])
            calls.CALLS.record(service, operation, method, path, status, fault, started, time.time() - started,
                               calls.error_code(status, headers, body))
            return [body]
        seen: dict[str, Any] = {}

        def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return lambda _data: None

        with self.lock:
            gate = hold.held()
            if gate is None:
                scheduler.tick()
                datapath.sync_all()
                body = b"".join(self.moto_app(environ, capture))
                tripped = hold.served(operation)
        if gate is not None:
            # Held before moto (see hold.py): never executed, answered 503 once released.
            hold.wait(gate)
            _drain(environ)
            status, headers, body = faults.fault_response(service, "unavailable")
            start_response(f"{status} HELD", headers + [("Content-Length", str(len(body)))])
            calls.CALLS.record(service, operation, method, path, status, "held", started, time.time() - started)
            return [body]
        fixed = s3_fixes.fix_body(service, operation, body)
        headers = list(seen.get("headers", []))
        if fixed is not body:
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(fixed))))
            body = fixed
        status_code = int(str(seen.get("status", "0")).split()[0])
        calls.CALLS.record(service, operation, method, path, status_code, None, started, time.time() - started,
                           calls.error_code(status_code, headers, body))
        if tripped is not None:
            hold.wait(tripped)  # the N-th mutating call: executed and logged, its answer held back
        start_response(seen.get("status", "500 ERROR"), headers)
        return [body]


def _drain(environ: dict[str, Any]) -> None:
    try:
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    stream = environ["wsgi.input"]
    while remaining > 0:
        chunk = stream.read(min(remaining, 65536))
        if not chunk:
            break
        remaining -= len(chunk)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="emulator/serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=4566, help="TCP port (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--config", help=f"JSON knobs (applied over ${ENV_CONFIG})")
    parser.add_argument("--delay", action="append", default=[], metavar="KIND=SECONDS",
                        help=f"transition delay; KIND is * or one of: {', '.join(DEFAULT_DELAYS)}")
    parser.add_argument("--iam-propagation-seconds", type=float)
    parser.add_argument("--runtime-eni-linger-seconds", type=float)
    parser.add_argument("--deleted-nat-visible-seconds", type=float)
    parser.add_argument("--throttle-rate", type=float)
    parser.add_argument("--unavailable-rate", type=float)
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--fault-seed", type=int)
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request (werkzeug access log)")
    return parser.parse_args(argv)


def knobs_from(args: argparse.Namespace) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = []
    if os.environ.get(ENV_CONFIG):
        layers.append(json.loads(os.environ[ENV_CONFIG]))
    if args.config:
        layers.append(json.loads(args.config))
    flags: dict[str, Any] = {}
    for name in ("iam_propagation_seconds", "runtime_eni_linger_seconds", "deleted_nat_visible_seconds",
                 "throttle_rate", "unavailable_rate", "latency_ms", "fault_seed"):
        if getattr(args, name) is not None:
            flags[name] = getattr(args, name)
    if args.delay:
        delays = {}
        for item in args.delay:
            kind, _, seconds = item.partition("=")
            delays[kind] = float(seconds)
        flags["delays"] = delays
    layers.append(flags)
    return layers


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        for layer in knobs_from(args):
            CONFIG.update(layer)
    except ValueError as exc:  # includes JSON errors
        sys.exit(f"agentfs-emulator: bad configuration: {exc}")

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    if not args.verbose:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    install_extensions()
    app = EmulatorApp(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ.setdefault("MOTO_PORT", str(server.server_port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"agentfs-emulator listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        invoke.SESSIONS.stop_all()
        server.server_close()
        # Nothing is left to flush: skip the interpreter's teardown of moto's object graph, which
        # takes seconds of garbage collection (enough to time out the tests' shutdown on a busy host).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
