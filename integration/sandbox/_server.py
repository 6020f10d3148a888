"""Threaded local HTTP server shared by the Freshdesk and Sautikit stand-ins.

    server = SomeSandbox(port=0).start()      # background thread, ephemeral port
    requests.get(f"{server.base_url}/...")
    server.stop()                             # or: with SomeSandbox() as server: ...

Standard library only and no Django, so the test suite and the sandbox management command
import the same code. Subclasses implement ``handle(request) -> Response``; this module owns
the socket, the request log and the fault injection (``fail_next``, ``drop_after_apply``,
``hold_then_apply``, delays) that let tests reproduce outages, timeouts, "created but the reply
was lost" and "created long after the client gave up".
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)

# A kept-alive connection that stays idle this long is closed, so handler threads never pile up.
IDLE_CONNECTION_TIMEOUT = 30.0


@dataclass
class Request:
    """One HTTP request as the sandboxes see it (the body is fully read)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes = b""

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower case ("" when absent)."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self):
        """The body parsed as JSON; raises ``ValueError`` when it is not valid JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def html_response(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class _Rule:
    """A fault waiting for the next ``count`` requests whose path starts with ``path_prefix``."""

    path_prefix: str
    methods: tuple[str, ...] | None
    count: int
    response: Response | None = None
    seconds: float = 0.0
    exact: bool = False  # the whole path, not a prefix

    def matches(self, request: Request) -> bool:
        if self.methods is not None and request.method not in self.methods:
            return False
        return request.path == self.path_prefix if self.exact else request.path.startswith(self.path_prefix)


class SandboxServer:
    """Base class: a ``ThreadingHTTPServer`` on a background thread plus fault injection."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.requests: list[dict] = []
        self._lock = threading.RLock()
        self._fail_rules: list[_Rule] = []
        self._drop_rules: list[_Rule] = []
        self._hold_rules: list[_Rule] = []
        self._delays: dict[str, float] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self):
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.sandbox = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, name=f"{type(self).__name__}:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        # Kept-alive connections would otherwise go on being served by their handler threads.
        httpd.close_open_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started; call start() first")
        return f"http://{self.host}:{self.port}"

    # -- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        count: int = 1,
        body=None,
        headers: dict[str, str] | None = None,
        path_prefix: str = "/",
        method: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` without applying them.

        ``body`` may be a dict/list (sent as JSON), bytes/str (sent as is) or None (a default
        error body from ``default_fault_body``).
        """
        if body is None:
            body = self.default_fault_body(status)
        if isinstance(body, (dict, list)):
            response = json_response(status, body, headers)
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            response = Response(status, raw, {"Content-Type": "application/json", **(headers or {})})
        methods = (method.upper(),) if method else None
        with self._lock:
            self._fail_rules.append(_Rule(path_prefix, methods, count, response))

    def drop_after_apply(
        self,
        count: int = 1,
        path_prefix: str = "/",
        methods: tuple[str, ...] | None = ("POST", "PUT", "PATCH", "DELETE"),
    ) -> None:
        """Apply the next ``count`` matching requests, then close the connection unanswered.

        The client sees a dropped connection although the change was made, which is what a
        timeout after the remote side committed looks like. Only writes match by default, so
        a look-up made before the write does not use the fault up.
        """
        with self._lock:
            self._drop_rules.append(_Rule(path_prefix, methods, count))

    def hold_then_apply(
        self,
        seconds: float,
        count: int = 1,
        path_prefix: str = "/",
        methods: tuple[str, ...] | None = ("POST", "PUT", "PATCH", "DELETE"),
        exact: bool = False,
    ) -> None:
        """Hold the next ``count`` matching requests ``seconds``, then apply them.

        The change is made after the hold whether or not the client still waits, as a
        service under load finishes a request its gateway or client has already given up on.
        With ``exact`` the path must equal ``path_prefix``.
        """
        with self._lock:
            self._hold_rules.append(_Rule(path_prefix, methods, count, seconds=seconds, exact=exact))

    def _set_delay(self, path_prefix: str, seconds: float) -> None:
        with self._lock:
            if seconds and seconds > 0:
                self._delays[path_prefix] = float(seconds)
            else:
                self._delays.pop(path_prefix, None)

    def _clear_faults(self) -> None:
        with self._lock:
            self._fail_rules.clear()
            self._drop_rules.clear()
            self._hold_rules.clear()
            self._delays.clear()

    # -- for subclasses ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def default_fault_body(self, status: int):
        return {"error": f"injected fault: HTTP {status}"}

    def should_log(self, request: Request) -> bool:
        return True

    def log_entry(self, request: Request) -> dict:
        try:
            payload = request.json() if request.content_type == "application/json" else None
        except (ValueError, UnicodeDecodeError):
            payload = None
        return {"method": request.method, "path": request.path, "query": dict(request.query), "json": payload}

    # -- request pipeline --------------------------------------------------------------------

    def _take(self, rules: list[_Rule], request: Request) -> _Rule | None:
        for rule in rules:
            if rule.matches(request):
                rule.count -= 1
                if rule.count <= 0:
                    rules.remove(rule)
                return rule
        return None

    def _dispatch(self, request: Request) -> Response | None:
        """Run one request; None means "close the connection without answering"."""
        with self._lock:
            if self.should_log(request):
                self.requests.append(self.log_entry(request))
            delay = max((s for p, s in self._delays.items() if request.path.startswith(p)), default=0.0)
            held = self._take(self._hold_rules, request)
        delay += held.seconds if held is not None else 0.0
        if delay:
            time.sleep(delay)
        with self._lock:
            rule = self._take(self._fail_rules, request)
        if rule is not None:
            return rule.response
        response = self.handle(request)
        with self._lock:
            dropped = self._take(self._drop_rules, request) is not None
        return None if dropped else response


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def __init__(self, *args, **kwargs):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, sock: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(sock)

    def handle_error(self, request, client_address) -> None:
        # A client that gave up waiting (its timeout) is expected here, not a sandbox fault.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SautiDeskSandbox/1.0"
    timeout = IDLE_CONNECTION_TIMEOUT
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(url.path),
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=self.headers,
            body=body,
        )
        try:
            response = self.server.sandbox._dispatch(request)
        except Exception:  # a bug in a sandbox must show up as a 500, not a hung client
            logger.exception("sandbox handler failed for %s %s", request.method, request.path)
            response = json_response(500, {"error": "sandbox internal error"})
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        logger.debug("%s %s", self.address_string(), format % args)
