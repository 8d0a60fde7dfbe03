"""A lean keep-alive HTTP/1.1 client for the bench's clerks, on the standard library's ``http.client``.

The bench counts its clients' CPU in the CPU per completion; ``requests`` spent about 3 CPU ms per
completion there (bench/NOTES.md), mostly its own layers (adapters, cookie jars, URL parsing), not
HTTP. Each thread holds one connection, as a browser tab or a clerk's app would.
"""
import http.client
import json
from urllib.parse import urlencode, urlsplit


class Response:
    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    def json(self):
        return json.loads(self.content)


class KeepAliveClient:
    """One persistent connection to ``base`` (``http://host:port``); reconnects when the server closed it."""

    def __init__(self, base: str, timeout: float = 60):
        parts = urlsplit(base)
        self._host, self._port, self._timeout = parts.hostname, parts.port or 80, timeout
        self._connection = None

    def get(self, path: str, headers: dict | None = None, params: dict | None = None) -> Response:
        return self.request("GET", f"{path}?{urlencode(params)}" if params else path, headers)

    def post(self, path: str, headers: dict | None = None, json_body=None) -> Response:
        return self.request("POST", path, headers, json_body)

    def request(self, method: str, path: str, headers: dict | None = None, json_body=None) -> Response:
        body = None if json_body is None else json.dumps(json_body).encode()
        sent = {**(headers or {}), "Content-Type": "application/json"} if body is not None else headers or {}
        for attempt in (1, 2):
            connection = self._connection or self._connect()
            try:
                connection.request(method, path, body, sent)
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed the idle connection before reading this request: nothing was done
                self.close()
                if attempt == 2:
                    raise
                continue
            content = response.read()
            if response.will_close:
                self.close()
            return Response(response.status, content)

    def _connect(self) -> http.client.HTTPConnection:
        self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
