"""The HTTP side of the explorer: static files from the package, and the JSON API.

Only the standard library's :class:`http.server.ThreadingHTTPServer`. The
server binds 127.0.0.1 (nothing else is offered: the explorer runs code on
request and is meant for the person at the machine). Static files come from
the ``static`` folder inside the package and nowhere else: the request path
is matched against the names that folder holds, so ``..``, encoded slashes or
absolute paths cannot reach another file.

Routes
------
``GET /``                  the page (``static/index.html``)
``GET /static/NAME``       a file of the package's ``static`` folder
``GET /api/schema``        operators, their parameters and the server's caps
``POST /api/explore``      one configuration (JSON object) -> everything the page draws
``GET /api/explore?...``   the same, the parameters as a query string
``POST /api/frame``        one frame of the animation (the configuration plus ``frame``)

Every error is a JSON object ``{"ok": false, "error": message}``: status 400
for anything wrong with a request (bad parameters, a configuration convscope
refuses, and even an unexpected exception, whose traceback goes to stderr
while the server keeps serving), 404 for an unknown path, 405 for another
method, 413 for a body over :data:`MAX_BODY_BYTES`.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .api import ApiError, explore, frame, schema

__all__ = ["HOST", "MAX_BODY_BYTES", "ExplorerServer", "make_server", "serve", "static_file"]

#: The only address the explorer listens on.
HOST = "127.0.0.1"
#: Largest request body read; a configuration is a few hundred bytes.
MAX_BODY_BYTES = 16_384

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
          ".ico": "image/x-icon"}  # fmt: skip


def _static_names() -> dict[str, bytes]:
    """The static folder's files by name, read once: the only files the server can send."""
    folder = resources.files("convscope.web") / "static"
    return {entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()}


_STATIC: dict[str, bytes] = {}
_STATIC_LOCK = threading.Lock()


def static_file(name: str) -> tuple[bytes, str] | None:
    """The bytes and content type of the package's static file ``name``, or None.

    ``name`` must be exactly one of the folder's file names: there is no path
    to resolve, so nothing outside the folder can be named.

    Examples
    --------
    >>> static_file("index.html")[1]
    'text/html; charset=utf-8'
    >>> static_file("../server.py") is None, static_file("/etc/passwd") is None
    (True, True)
    """
    with _STATIC_LOCK:
        if not _STATIC:
            _STATIC.update(_static_names())
        data = _STATIC.get(name)
    if data is None:
        return None
    suffix = name[name.rfind(".") :] if "." in name else ""
    kind = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return data, kind


class _Handler(BaseHTTPRequestHandler):
    server_version = "convscope-explorer"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a connection may stay silent (a stalled client cannot hold a thread)

    # -- responses --------------------------------------------------------------
    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, allow_nan=False).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"ok": False, "error": message})

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # -- routes -----------------------------------------------------------------
    def _api(self, route: str, params: dict[str, Any]) -> None:
        routes = {"/api/schema": lambda: schema(), "/api/explore": lambda: explore(params),
                  "/api/frame": lambda: frame(params)}  # fmt: skip
        answer = routes.get(route)
        if answer is None:
            self._error(HTTPStatus.NOT_FOUND, f"no API route {route!r}")
            return
        status: int = HTTPStatus.OK
        try:
            body = json.dumps(answer(), allow_nan=False)
        except ApiError as error:
            status, body = HTTPStatus.BAD_REQUEST, json.dumps({"ok": False, "error": str(error)})
        except Exception as error:  # a bug must not take the server down; say so plainly
            traceback.print_exc(file=sys.stderr)
            message = f"cannot draw this ({type(error).__name__}: {error})"
            status, body = HTTPStatus.BAD_REQUEST, json.dumps({"ok": False, "error": message})
        self._send(status, body.encode(), "application/json")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        route = parts.path
        if route.startswith("/api/"):
            self._api(route, dict(parse_qsl(parts.query, keep_blank_values=True)))
            return
        name = "index.html" if route in ("/", "/index.html") else None
        if route.startswith("/static/"):
            name = route[len("/static/") :]
        found = static_file(name) if name else None
        if found is None:
            self._error(HTTPStatus.NOT_FOUND, f"no such file: {route!r}")
            return
        self._send(HTTPStatus.OK, *found)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        route = urlsplit(self.path).path
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body must be 0 to {MAX_BODY_BYTES} bytes"
            )
            return
        raw = self.rfile.read(length)
        try:
            params = json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            self._error(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {error}")
            return
        if not isinstance(params, dict):
            self._error(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object of parameters")
            return
        self._api(route, params)

    def _refuse(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} is not allowed")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse


class ExplorerServer(ThreadingHTTPServer):
    """The explorer's HTTP server; ``url`` is where it listens."""

    daemon_threads = True

    def __init__(self, port: int = 0, verbose: bool = False) -> None:
        super().__init__((HOST, port), _Handler)
        self.verbose = verbose

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


def make_server(port: int = 0, verbose: bool = False) -> ExplorerServer:
    """An explorer server bound to 127.0.0.1:``port`` (0: a free port), not yet serving.

    Parameters
    ----------
    port : int
        TCP port, 0 to 65535; 0 lets the system choose (see ``server.url``).
    verbose : bool
        Log each request on stderr.

    Examples
    --------
    >>> server = make_server(0)
    >>> server.url.startswith("http://127.0.0.1:")
    True
    >>> server.server_close()
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"make_server: port must be an int from 0 to 65535, got port={port!r}")
    return ExplorerServer(port, verbose)


def serve(port: int = 8000, verbose: bool = False) -> None:  # pragma: no cover - runs until interrupted
    """Serve the explorer on 127.0.0.1:``port`` until interrupted (Ctrl-C)."""
    server = make_server(port, verbose)
    print(f"convscope explorer on {server.url} (127.0.0.1 only; Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
