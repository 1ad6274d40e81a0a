"""A webhook receiver on a random loopback port for tests: keeps every POST (headers, JSON
body) and answers with the queued `statuses` first, then `status`."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookSink:
    def __init__(self, delay_s: float = 0.0, path: str = "/hook"):
        self.status = 200
        self.statuses: list[int] = []
        self.received: list[tuple[dict[str, str], Any]] = []
        self.delay_s = delay_s
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sink.received.append((dict(self.headers), body))
                time.sleep(sink.delay_s)
                self.send_response(sink.statuses.pop(0) if sink.statuses else sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> WebhookSink:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
