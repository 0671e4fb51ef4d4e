"""The listeners' HTTP plumbing: how a request on the tls, himds or imds listener becomes a
log entry, a fault or a service's answer, and the servers all five listeners run in.

Every such request goes through ServiceHandler.serve in one order: recorded on arrival,
then the scenario delay and the endpoint's next fault, then the service or the registry
relay. So a test sees every request, the ones it made fail too, and a fault set for an
endpoint hits exactly that endpoint's next request. The endpoint names given here (classify,
IdentityService.name) are the ones the request log and the fault API use. Every reply has a
Content-Length (JsonHandler), because clients keep their connections alive.
"""

import json
import re
import socket
import ssl
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from acr import (MANIFEST_PATH, acr_exchange, acr_token_get, acr_token_post, registry_manifest,
                 registry_ping, relay)
from entra import entra_token
from managed_identity import HIMDS, IMDS, identity_token
from messages import Reply, Request, not_found
from pki import SERVER_IP
from scenario import DROP_ACTIONS, Recorder

# --------------------------------------------------------------------------- TLS routes
ENTRA_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
FIXED_PATHS = {"/oauth2/exchange": "exchange", "/oauth2/token": "token", "/v2/": "v2"}
ROUTES = {
    ("exchange", "POST"): acr_exchange,
    ("token", "GET"): acr_token_get,
    ("token", "POST"): acr_token_post,
    ("v2", "GET"): registry_ping,
    ("manifest", "GET"): registry_manifest,
    ("manifest", "HEAD"): registry_manifest,
}


def classify(path):
    if ENTRA_PATH.match(path):
        return "entra"
    if MANIFEST_PATH.match(path):
        return "manifest"
    return FIXED_PATHS.get(path, "other")


def route(fake, endpoint, req):
    if endpoint == "entra" and req.method == "POST":
        return entra_token(fake, unquote(ENTRA_PATH.match(req.path).group(1)), req)
    handler = ROUTES.get((endpoint, req.method))
    if handler is None:
        return not_found()
    return handler(fake, req)


# --------------------------------------------------------------------------- handlers

def reset_connection(sock):
    """Close `sock` so that the peer sees a connection reset: linger 0 makes close() send RST
    instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def fault_reply(fault):
    """The canned answer of a status fault; a non-string body is sent as JSON. body_bytes makes
    a huge answer: the body repeated (spaces if it is empty) to exactly that many bytes."""
    body = fault.get("body", "")
    body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    if fault.get("body_bytes"):
        size = fault["body_bytes"]
        body = ((body or b" ") * (size // max(len(body), 1) + 1))[:size]
    return Reply(fault["status"], body, dict(fault.get("headers", {})))


class JsonHandler(BaseHTTPRequestHandler):
    """Shared plumbing: HTTP/1.1 keep-alive needs a Content-Length on every reply."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections must not pin a thread forever

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_reply(self, reply, truncate=False):
        """Send `reply`; with `truncate`, only the first half of its body, then hang up."""
        body = reply.body if isinstance(reply.body, bytes) else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        headers = {"Content-Type": "application/json"} if body else {}
        headers.update(reply.headers)
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate:
            body = body[:len(body) // 2]
            self.close_connection = True
        if self.command != "HEAD":  # HEAD says how long the body is, and sends none
            self.wfile.write(body)


class ServiceHandler(JsonHandler):
    """A listener whose requests are recorded and can be faulted; subclasses name and route them."""

    def do_GET(self):
        self.serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def endpoint(self, path):
        """The name this request is recorded and faulted under."""
        raise NotImplementedError

    def answer(self, endpoint, req):
        """The Reply the service gives when no fault replaces it."""
        raise NotImplementedError

    def via_proxy(self):
        return False

    def relay_target(self, _path):
        """The Upstream that answers this path instead of the fake, if any."""
        return None

    def serve(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        upstream = self.relay_target(url.path)
        # A relayed body streams through to the upstream: it is neither read nor recorded here.
        body = b"" if upstream else self.read_body()
        req = self.parse(url, body)
        endpoint = self.endpoint(url.path)
        entry = {"endpoint": endpoint, "method": req.method, "host": req.host, "path": url.path,
                 "query": req.query, "headers": req.headers, "form": req.form,
                 "via_proxy": self.via_proxy()}
        fake.recorder.arrive(entry)
        fault = fake.faults.take(endpoint) or {}
        time.sleep(fake.scenario.delay + fault.get("delay_ms", 0) / 1000)
        if fault.get("action") in DROP_ACTIONS:
            fake.recorder.finish(entry, fault["action"])
            self.drop_connection(fault["action"])
            return
        if "status" in fault:
            reply = fault_reply(fault)
            if upstream is not None:
                self.close_connection = True  # the unread body would be taken for the next request
        elif upstream is not None:
            fake.recorder.finish(entry, relay(self, upstream))
            return
        else:
            reply = self.answer(endpoint, req)
        truncate = fault.get("action") == "truncate"
        fake.recorder.finish(entry, "truncate" if truncate else reply.status, req.record)
        self.send_reply(reply, truncate)

    def parse(self, url, body):
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        is_form = content_type == "application/x-www-form-urlencoded"
        form = body.decode("utf-8", "replace") if is_form else ""
        return Request(
            method=self.command, host=self.headers.get("Host", ""), path=url.path,
            query=self._first_values(url.query), form=self._first_values(form),
            headers={name: self.headers[name] for name in Recorder.RECORDED_HEADERS
                     if name in self.headers},
            query_string=url.query, body_text=form)

    @staticmethod
    def _first_values(text):
        values = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            values.setdefault(key, value)
        return values

    def drop_connection(self, action):
        if action == "reset":
            # Closed here, because socketserver's orderly shutdown would send a FIN first.
            reset_connection(self.connection)
        self.close_connection = True


# --------------------------------------------------------------------------- TLS listener

class TlsHandler(ServiceHandler):
    def endpoint(self, path):
        return "v2" if self.relay_target(path) else classify(path)

    def answer(self, endpoint, req):
        return route(self.server.fake, endpoint, req)

    def via_proxy(self):
        return self.client_address[1] in self.server.fake.proxied_ports

    def relay_target(self, path):
        upstream = self.server.fake.registry_upstream
        return upstream if upstream is not None and (path == "/v2" or path.startswith("/v2/")) else None

    def do_HEAD(self):
        # Registry clients check blobs and manifests with HEAD. The fake answers it for the
        # scenario's manifests, and relays it to an upstream; anything else stays what
        # http.server makes of it: 501.
        path = urlsplit(self.path).path
        if self.relay_target(path) is None and classify(path) != "manifest":
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        self.serve()


# --------------------------------------------------------------------------- identity listeners

class IdentityHandler(ServiceHandler):
    """Plain HTTP, like the real ones: every request on the listener counts as its service's."""

    service = None  # an IdentityService, set by the subclass

    def endpoint(self, _path):
        return self.service.name

    def answer(self, _endpoint, req):
        return identity_token(self.server.fake, self.service, req)


class HimdsHandler(IdentityHandler):
    service = HIMDS


class ImdsHandler(IdentityHandler):
    service = IMDS


# --------------------------------------------------------------------------- servers

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # 100+ plugin processes may connect at once

    def __init__(self, handler, fake=None):
        super().__init__((SERVER_IP, 0), handler)
        self.fake = fake

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # clients hang up or fail the handshake: normal in tests
            print(f"{type(self).__name__} {client_address}: {error}", file=sys.stderr, flush=True)
        else:
            super().handle_error(request, client_address)


class TlsServer(Server):
    def __init__(self, handler, cert, key):
        super().__init__(handler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.set_alpn_protocols(["http/1.1"])

    def finish_request(self, request, client_address):
        # The handshake runs here, in the connection's own thread, not in the accept loop.
        request.settimeout(JsonHandler.timeout)
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

