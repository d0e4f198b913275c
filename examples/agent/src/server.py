"""A small AgentCore agent using only the standard library: it answers the runtime contract's
GET /ping and POST /invocations on port 8080, writes a file into the shared workspace when asked
and answers with everything the workspace holds.

Request: {"write": {"name": "notes/a.txt", "text": "..."}}   (optional "write")
Answer:  {"session": "...", "version": "...", "files": {"notes/a.txt": "..."}}
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "1"
WORKSPACE = os.environ.get("WORKSPACE", "/mnt/data")


def listing() -> dict:
    files = {}
    for dirpath, _dirs, names in os.walk(WORKSPACE):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                files[os.path.relpath(path, WORKSPACE)] = f.read()
    return dict(sorted(files.items()))


class Agent(BaseHTTPRequestHandler):
    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/ping":
            self.answer(200, {"status": "Healthy"})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/invocations":
            self.answer(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        session = self.headers.get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "")
        write = request.get("write")
        if write:
            path = os.path.join(WORKSPACE, write["name"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(write["text"])
        print(f"session {session[:12]} wrote {write['name'] if write else 'nothing'}", flush=True)
        self.answer(200, {"session": session, "version": VERSION, "files": listing()})

    def log_message(self, *args) -> None:  # the runtime's logs get the agent's own lines only
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Agent).serve_forever()
