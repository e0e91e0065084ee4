"""Test helpers: a real HTTP server on 127.0.0.1, and dataset files generated in the real formats."""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def idx_gz(array: np.ndarray) -> bytes:
    """``array`` (uint8) as a gzip-compressed IDX file, as MNIST ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def cifar_tar_gz(folder: str, batches: dict[str, dict]) -> bytes:
    """A ``.tar.gz`` of pickled batches under ``folder``, as the CIFAR python archives hold them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in batches.items():
            blob = pickle.dumps(content, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()
