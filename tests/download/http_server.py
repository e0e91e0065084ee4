"""A real HTTP server on 127.0.0.1 for the download tests: good files, 404s and truncated transfers."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server:
    """Serves ``routes``: path -> ("ok", bytes) or ("truncate", bytes); anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                outer.requests.append(self.path)
                kind, body = outer.routes.get(self.path, ("missing", b""))
                if kind == "missing":
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # a truncated transfer: announce the whole file, send half, hang up
                self.wfile.write(body if kind == "ok" else body[: len(body) // 2])

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/{path.lstrip('/')}"

    def serve(self, path: str, body: bytes, kind: str = "ok") -> str:
        self.routes["/" + path.lstrip("/")] = (kind, body)
        return self.url(path)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
