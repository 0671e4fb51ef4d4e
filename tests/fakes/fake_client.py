#!/usr/bin/python3
"""Client for a running fake_azure.py: its admin API, plus the registry token request a
container runtime makes with the credentials the plugin returned. Standard library only.

Used as a module by tests/integration/harness.py and as a command by scripts/demo:
  fake_client.py --state-dir DIR port NAME                  print a port from ports.json
  fake_client.py --state-dir DIR requests                   table of the requests seen (all listeners)
  fake_client.py --state-dir DIR count                      number of requests seen
  fake_client.py --state-dir DIR reset                      forget requests, CONNECTs and faults
  fake_client.py --state-dir DIR connects                   CONNECT targets the proxy saw
  fake_client.py --state-dir DIR check-token REGISTRY REPO  refresh token on stdin; exit 0 if accepted
"""

import argparse
import base64
import http.client
import json
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

NULL_GUID = "00000000-0000-0000-0000-000000000000"


class FakeClient:
    """Talks to one fake, given its ports.json contents."""

    def __init__(self, ports):
        self.ports = ports
        self.ca = ports["ca"]
        # The admin listener is plain HTTP on 127.0.0.1: never let a proxy variable redirect it.
        self._admin = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def from_state_dir(cls, state_dir):
        return cls(json.loads((Path(state_dir) / "ports.json").read_text()))

    def admin(self, method, path, body=None):
        """Call the admin API; returns the decoded JSON answer.

        Raises RuntimeError with the fake's explanation on a non-2xx status, OSError if the
        fake cannot be reached.
        """
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.ports['admin']}{path}",
                                     data=data, method=method)
        try:
            with self._admin.open(req, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"fake admin {method} {path}: {error.code} "
                               f"{error.read().decode(errors='replace')}") from None

    def requests(self):
        return self.admin("GET", "/requests")

    def connects(self):
        return self.admin("GET", "/connects")

    def reset(self):
        """Forget recorded requests, CONNECTs and faults (the scenario stays)."""
        self.admin("POST", "/reset")

    def current_scenario(self):
        return self.admin("GET", "/scenario")

    def set_scenario(self, scenario):
        self.admin("PUT", "/scenario", scenario)

    def faults(self, endpoint, faults, always=False):
        self.admin("POST", "/faults", {"endpoint": endpoint, "faults": faults, "always": always})

    def clear_faults(self):
        self.admin("DELETE", "/faults")

    def issued(self):
        """Every token the fake issued since it started: {"entra", "acr_refresh", "acr_access"}
        each a list (reset keeps them)."""
        return self.admin("GET", "/issued")

    def set_registry_upstream(self, url, ca):
        """Relay /v2/* to the registry at `url` (https://HOST:PORT), verified with the PEM file `ca`."""
        self.admin("PUT", "/registry-upstream", {"url": url, "ca": str(ca)})

    def issue_refresh_token(self, registry, subject, lifetime_seconds):
        """An ACR refresh token for `registry` with any lifetime (negative: already expired)."""
        return self.admin("POST", "/refresh-token", {"registry": registry, "subject": subject,
                                                     "lifetime_seconds": lifetime_seconds})["refresh_token"]

    def identity_endpoint(self, service):
        """IDENTITY_ENDPOINT of the fake "himds" (Azure Arc) or "imds" (Azure VM) listener."""
        return f"http://127.0.0.1:{self.ports[service]}/metadata/identity/oauth2/token"

    def call(self, listener, method, path, host=None, form=None, headers=None):
        """One request straight to a listener ("tls", "himds" or "imds"), no proxy involved.

        `host` is the Host header (the TLS listener routes registries by it); `form` is sent
        url-encoded. Returns (status, response headers, decoded JSON body or None).
        """
        if listener == "tls":
            connection = http.client.HTTPSConnection(
                "localhost", self.ports["tls"], timeout=10,
                context=ssl.create_default_context(cafile=self.ca))
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.ports[listener], timeout=10)
        all_headers = {**({"Host": host} if host else {}), **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, response.headers, json.loads(data) if data else None
        finally:
            connection.close()

    def _registry_connection(self, registry):
        """HTTPS connection to the fake as `registry`, with the certificate checked for that name.

        A registry with an explicit port is reached directly on 127.0.0.1 (it is localhost:<tls>);
        a real name such as myacr.azurecr.io is reached through the fake's CONNECT proxy, as a
        client on a node with HTTPS_PROXY would.
        """
        context = ssl.create_default_context(cafile=self.ca)
        host, _, port = registry.partition(":")
        if port:
            return http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
        connection = http.client.HTTPSConnection("127.0.0.1", self.ports["proxy"],
                                                 context=context, timeout=10)
        connection.set_tunnel(host, 443)
        return connection

    def pull_token(self, registry, repository, refresh_token):
        """GET /oauth2/token with Basic null-GUID:refresh-token, as containerd falls back to.

        Returns (HTTP status, decoded JSON body).
        """
        query = urlencode({"service": registry, "scope": f"repository:{repository}:pull"})
        basic = base64.b64encode(f"{NULL_GUID}:{refresh_token}".encode()).decode()
        connection = self._registry_connection(registry)
        try:
            connection.request("GET", f"/oauth2/token?{query}",
                               headers={"Authorization": f"Basic {basic}"})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()


def print_requests_table(requests, out):
    """One line per request: method, host, path, status and the form field *names* only."""
    rows = [("METHOD", "HOST", "PATH", "STATUS", "FORM FIELDS")]
    rows += [(r["method"], r["host"], r["path"], str(r["status"]), ", ".join(r["form"]))
             for r in requests]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]), file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("port").add_argument("name",
                                             choices=["tls", "proxy", "admin", "himds", "imds"])
    commands.add_parser("requests")
    commands.add_parser("count")
    commands.add_parser("connects")
    commands.add_parser("reset")
    check = commands.add_parser("check-token")
    check.add_argument("registry")
    check.add_argument("repository")
    args = parser.parse_args()
    client = FakeClient.from_state_dir(args.state_dir)

    if args.command == "port":
        print(client.ports[args.name])
    elif args.command == "requests":
        print_requests_table(client.requests(), sys.stdout)
    elif args.command == "count":
        print(len(client.requests()))
    elif args.command == "connects":
        print(" ".join(client.connects()) or "(none)")
    elif args.command == "reset":
        client.reset()
    else:
        status, body = client.pull_token(args.registry, args.repository, sys.stdin.read().strip())
        accepted = status == 200 and "access_token" in body
        print(f"GET https://{args.registry}/oauth2/token (scope repository:{args.repository}:pull)"
              f" -> {status}: {'accepted, access token issued' if accepted else body}")
        sys.exit(0 if accepted else 1)


if __name__ == "__main__":
    main()
