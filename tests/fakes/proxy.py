"""The CONNECT proxy: how clients reach the fake under the real Azure host names.

Clients keep the production host names (login.microsoftonline.com, *.azurecr.io) and set
HTTPS_PROXY; the proxy splices every allowed CONNECT to the tls listener, whatever host it
names, so no DNS or /etc/hosts change is needed. It stands in for those hosts only: a target
the server certificate does not cover, or a port but 443, gets 403 rather than a splice
that could only fail verification. Every CONNECT target is recorded, and the tls listener
learns which of its connections came through here (Fake.proxied_ports) for via_proxy.
"""

import select
import socket

from http_service import JsonHandler, reset_connection
from messages import Reply
from pki import server_certificate_covers

SPLICE_IDLE_SECONDS = 60


def splice(a, b):
    """Copy bytes both ways until one side closes; a reset on one side is passed on as a reset."""
    peer = {a: b, b: a}
    while True:
        readable, _, _ = select.select([a, b], [], [], SPLICE_IDLE_SECONDS)
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                reset_connection(peer[sock])
                return
            if not data:
                return
            try:
                peer[sock].sendall(data)
            except OSError:
                return


class ProxyHandler(JsonHandler):
    rbufsize = 0  # unbuffered, so no byte after the CONNECT header is stranded in a read buffer

    def do_CONNECT(self):
        fake = self.server.fake
        fake.recorder.connect(self.path)
        host, _, port = self.path.rpartition(":")
        if port != "443" or not server_certificate_covers(host):
            self.close_connection = True
            self.send_reply(Reply(403, {"error": f"CONNECT to {self.path} is not allowed"},
                                  {"Connection": "close"}))
            return
        upstream = socket.create_connection(("127.0.0.1", fake.tls_port))
        local_port = upstream.getsockname()[1]
        fake.proxied_ports.add(local_port)
        try:
            self.send_response(200, "Connection established")
            self.end_headers()
            splice(self.connection, upstream)
        finally:
            fake.proxied_ports.discard(local_port)
            upstream.close()
            self.close_connection = True
