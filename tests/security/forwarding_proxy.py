"""A forwarding reverse proxy in a few lines, set up as the README says nginx should be.

It passes every request on to the portal and appends the address it was connected from to
X-Forwarded-For, keeping whatever the client sent before it (as nginx's
$proxy_add_x_forwarded_for does). tests/auth/test_proxies.py puts it in front of the portal;
to rerun the sign-in checks by hand (tests/security/README.md) without nginx:

    .venv/bin/python -m tests.security.forwarding_proxy --listen 127.0.0.1:8080 \\
        --upstream 127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class ForwardingHandler(BaseHTTPRequestHandler):
    """Forwards to `upstream` (host, port), adding X-Forwarded-For and X-Forwarded-Proto."""

    upstream: tuple[str, int]

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        sent = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{sent}, {client}" if sent else client
        headers["X-Forwarded-Proto"] = "http"
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        finally:
            connection.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


def proxy_server(listen: tuple[str, int], upstream: tuple[str, int]) -> ThreadingHTTPServer:
    """A proxy listening on `listen` (port 0: any free one) in front of `upstream`."""
    handler = type("Handler", (ForwardingHandler,), {"upstream": upstream})
    return ThreadingHTTPServer(listen, handler)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=_address, default=("127.0.0.1", 8080))
    parser.add_argument("--upstream", type=_address, default=("127.0.0.1", 8000))
    options = parser.parse_args()
    server = proxy_server(options.listen, options.upstream)
    print(f"Forwarding http://{options.listen[0]}:{options.listen[1]} to {options.upstream}")
    server.serve_forever()


if __name__ == "__main__":
    main()
