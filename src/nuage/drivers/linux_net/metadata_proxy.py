"""The metadata proxy a DHCP or router namespace runs (metadata.py): it listens on
169.254.169.254:80 there and forwards each guest request to the metadata service's unix
socket, saying which network or router it came through and from which address.

The service identifies the guest by (network, address): the address cannot be forged,
because anti-spoofing drops whatever a guest sends from an address that is not its own,
and the headers below are set here, never taken from the guest (any copy it sent is
dropped). Standard library only: it runs as its own small process (`python -m
nuage.drivers.linux_net.metadata_proxy ...`) inside the namespace.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NETWORK_HEADER = "X-Nuage-Network-Id"
ROUTER_HEADER = "X-Nuage-Router-Id"
ADDRESS_HEADER = "X-Forwarded-For"
OWN_HEADERS = {NETWORK_HEADER.lower(), ROUTER_HEADER.lower(), ADDRESS_HEADER.lower(),
               "x-forwarded-host",
               "x-forwarded-proto", "forwarded", "connection", "keep-alive",
               "proxy-connection", "transfer-encoding", "upgrade"}
MAX_BODY = 64 * 1024          # what a guest may send (metadata requests are tiny)
TIMEOUT = 30.0


class UnixConnection(http.client.HTTPConnection):
    """An HTTP connection to a unix socket (the metadata service's)."""

    def __init__(self, path: str) -> None:
        super().__init__("metadata", timeout=TIMEOUT)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(self.socket_path)
        self.sock = sock


class Proxy(BaseHTTPRequestHandler):
    server_version = "nuage-metadata-proxy"
    identity: tuple[str, str] = ("", "")     # (header, network or router id)
    upstream = ""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in OWN_HEADERS}
        headers[self.identity[0]] = self.identity[1]
        headers[ADDRESS_HEADER] = self.client_address[0]
        upstream = UnixConnection(self.upstream)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        except OSError:
            self.send_error(502, "the metadata service is not answering")
            return
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in OWN_HEADERS and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the service logs the requests it answers."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--network-id", help="a DHCP namespace's proxy")
    who.add_argument("--router-id", help="a router namespace's proxy")
    parser.add_argument("--socket", required=True, help="the metadata service's socket")
    parser.add_argument("--listen", default="169.254.169.254")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--pid-file", required=True, type=Path)
    args = parser.parse_args()
    Proxy.identity = ((NETWORK_HEADER, args.network_id) if args.network_id
                      else (ROUTER_HEADER, args.router_id))
    Proxy.upstream = args.socket
    server = ThreadingHTTPServer((args.listen, args.port), Proxy)
    server.daemon_threads = True
    tmp = args.pid_file.with_name(args.pid_file.name + ".tmp")
    tmp.write_text(f"{os.getpid()}\n")
    tmp.replace(args.pid_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
