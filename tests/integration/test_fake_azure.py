#!/usr/bin/python3
"""Self-tests of tests/fakes/fake_azure.py: the behaviour the plugin tests rely on.

These need no plugin binary: they talk to the fake the way a client would (http.client over
TLS, trusting the fake's CA) and check statuses, bodies, recording, faults and the proxy.
"""

import base64
import http.client
import json
import re
import socket
import ssl
import time
import unittest
from pathlib import Path
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from harness import NULL_GUID, IntegrationTestCase, jwt_claims

TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CLIENT = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
CLIENT_WITHOUT_ACRPULL = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
SECRET = "Ab1Q~fake.self_test-secret"
AUDIENCE = "https://containerregistry.azure.net"
REGISTRY = "myacr.azurecr.io"

SCENARIO = {
    "tenants": {TENANT: {"aliases": ["contoso.onmicrosoft.com"],
                         "apps": {CLIENT: {"secrets": [SECRET], "expired_secrets": ["old"]},
                                  CLIENT_WITHOUT_ACRPULL: {"secrets": [SECRET]}}}},
    "registries": {REGISTRY: {"acrpull": [CLIENT]}, "localhost:{tls}": {"acrpull": [CLIENT]}},
    "refresh_token_lifetime_seconds": 600,
}
ENTRA_DESCRIPTION = re.compile(r"^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\n"
                               r"Correlation ID: [0-9a-f-]{36}\r\nTimestamp: .+Z$", re.S)


class FakeAzureTest(IntegrationTestCase):
    scenario = SCENARIO

    def call(self, method, path, host=REGISTRY, form=None, headers=None):
        """One HTTPS request to the TLS listener as `host`; returns (status, headers, JSON body)."""
        return self.fake.call("tls", method, path, host, form, headers)

    def entra(self, tenant=TENANT, **changes):
        form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET,
                "scope": f"{AUDIENCE}/.default", **changes}
        return self.call("POST", f"/{tenant}/oauth2/v2.0/token", "login.microsoftonline.com",
                         {k: v for k, v in form.items() if v is not None})

    def access_token(self, client=CLIENT):
        return self.entra(client_id=client)[2]["access_token"]

    def exchange(self, host=REGISTRY, **changes):
        form = {"grant_type": "access_token", "service": host, "tenant": TENANT, **changes}
        form.setdefault("access_token", self.access_token())
        return self.call("POST", "/oauth2/exchange", host, form)

    def refresh_token(self):
        return self.exchange()[2]["refresh_token"]

    def basic(self, username, password):
        return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}

    # ---------------------------------------------------------------- Entra

    def test_entra_issues_access_token_for_tenant_guid_or_alias(self):
        for tenant in (TENANT, "contoso.onmicrosoft.com"):
            with self.subTest(tenant=tenant):
                status, _, body = self.entra(tenant)
                self.assertEqual(status, 200)
                self.assertEqual({k: body[k] for k in ("token_type", "expires_in", "ext_expires_in")},
                                 {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599})
                claims = jwt_claims(body["access_token"])
                self.assertEqual((claims["aud"], claims["tid"], claims["appid"], claims["iss"]),
                                 (AUDIENCE, TENANT, CLIENT, f"https://sts.windows.net/{TENANT}/"))
                self.assertEqual(claims["exp"] - claims["iat"], 3599)

    def test_entra_errors_in_order_with_real_shape(self):
        cases = [
            ({"tenant": "nope.onmicrosoft.com", "grant_type": "password"},
             400, "invalid_request", 90002),
            ({"grant_type": "password", "client_id": "unknown"}, 400, "unsupported_grant_type", 70003),
            ({"client_id": "unknown", "scope": "x"}, 400, "unauthorized_client", 700016),
            ({"scope": "https://management.azure.com/.default", "client_secret": None},
             400, "invalid_scope", 70011),
            ({"client_secret": None}, 401, "invalid_client", 7000215),
            ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
            ({"client_secret": "old"}, 401, "invalid_client", 7000222),
        ]
        for changes, status, error, code in cases:
            with self.subTest(code=code, changes=changes):
                got_status, _, body = self.entra(**changes)
                self.assertEqual((got_status, body["error"], body["error_codes"]),
                                 (status, error, [code]))
                self.assertRegex(body["error_description"], ENTRA_DESCRIPTION)
                self.assertTrue(body["error_description"].startswith(f"AADSTS{code}: "))
                self.assertEqual(body["error_uri"],
                                 f"https://login.microsoftonline.com/error?code={code}")
                self.assertEqual(set(body), {"error", "error_description", "error_codes", "timestamp",
                                             "trace_id", "correlation_id", "error_uri"})

    # ---------------------------------------------------------------- ACR

    def test_exchange_issues_refresh_token_for_the_host_registry(self):
        status, _, body = self.exchange()
        self.assertEqual(status, 200)
        claims = jwt_claims(body["refresh_token"])
        self.assertEqual({k: claims[k] for k in ("sub", "aud", "iss", "grant_type", "tenant", "version",
                                                 "permissions")},
                         {"sub": CLIENT, "aud": REGISTRY, "iss": "Azure Container Registry",
                          "grant_type": "refresh_token", "tenant": TENANT, "version": "1.0",
                          "permissions": {"actions": ["read"]}})
        self.assertEqual(claims["exp"] - claims["iat"], 600)

    def test_exchange_refusals(self):
        token = self.access_token()
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        cases = [
            ("wrong grant", REGISTRY, {"grant_type": "refresh_token"}, 400, "UNSUPPORTED"),
            ("service is not the host", REGISTRY, {"service": "other.azurecr.io"}, 400, "UNSUPPORTED"),
            ("unknown registry", "other.azurecr.io", {}, 400, "UNSUPPORTED"),
            ("forged token", REGISTRY, {"access_token": tampered}, 401, "UNAUTHORIZED"),
            ("other tenant", REGISTRY, {"tenant": "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"},
             401, "UNAUTHORIZED"),
            ("no AcrPull", REGISTRY, {"access_token": self.access_token(CLIENT_WITHOUT_ACRPULL)},
             401, "UNAUTHORIZED"),
        ]
        for name, host, changes, status, code in cases:
            with self.subTest(name):
                got_status, _, body = self.exchange(host, **{"access_token": token, **changes})
                self.assertEqual((got_status, body["errors"][0]["code"]), (status, code))

    def test_token_endpoint_accepts_refresh_token_by_basic_auth_and_form(self):
        refresh_token = self.refresh_token()
        query = urlencode({"service": REGISTRY, "scope": "repository:team/app:pull"})
        status, _, body = self.call("GET", f"/oauth2/token?{query}",
                                    headers=self.basic(NULL_GUID, refresh_token))
        self.assertEqual(status, 200)
        self.assertEqual(jwt_claims(body["access_token"])["access"],
                         [{"type": "repository", "name": "team/app", "actions": ["pull"]}])
        status, _, body = self.call("POST", "/oauth2/token", form={
            "grant_type": "refresh_token", "service": REGISTRY,
            "scope": "repository:team/app:pull", "refresh_token": refresh_token})
        self.assertEqual(status, 200)

    def pull_push_token(self, headers):
        """GET /oauth2/token for pull and push of team/app; returns (status, body)."""
        query = urlencode({"service": REGISTRY, "scope": "repository:team/app:pull,push"})
        status, _, body = self.call("GET", f"/oauth2/token?{query}", headers=headers)
        return status, body

    def test_admin_user_may_push_refresh_tokens_only_pull(self):
        self.fake.set_scenario({**SCENARIO, "registries": {REGISTRY: {
            "acrpull": [CLIENT], "admin": {"username": "myacr", "password": "admin-pw"}}}})
        for name, headers, actions in (
                ("admin user", self.basic("myacr", "admin-pw"), ["pull", "push"]),
                ("refresh token", self.basic(NULL_GUID, self.refresh_token()), ["pull"])):
            with self.subTest(name):
                status, body = self.pull_push_token(headers)
                self.assertEqual(status, 200)
                self.assertEqual(jwt_claims(body["access_token"])["access"],
                                 [{"type": "repository", "name": "team/app", "actions": actions}])
        self.assertEqual(self.pull_push_token(self.basic("myacr", "wrong"))[0], 401)

    def test_access_tokens_are_es256_under_the_registry_token_certificate(self):
        status, body = self.pull_push_token(self.basic(NULL_GUID, self.refresh_token()))
        self.assertEqual(status, 200)
        header_part, claims_part, signature_part = body["access_token"].split(".")
        header = json.loads(base64.urlsafe_b64decode(header_part + "=" * (-len(header_part) % 4)))
        self.assertEqual((header["typ"], header["alg"], len(header["x5c"])), ("JWT", "ES256", 1))
        certificate = x509.load_pem_x509_certificate(
            Path(self.fake.ports["registry_token_cert"]).read_bytes())
        self.assertEqual(base64.b64decode(header["x5c"][0]),
                         certificate.public_bytes(serialization.Encoding.DER))
        signature = base64.urlsafe_b64decode(signature_part + "=" * (-len(signature_part) % 4))
        self.assertEqual(len(signature), 64)  # JWS: r and s, 32 bytes each
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        certificate.public_key().verify(encode_dss_signature(r, s),  # raises if forged
                                        f"{header_part}.{claims_part}".encode(),
                                        ec.ECDSA(hashes.SHA256()))
        claims = jwt_claims(body["access_token"])
        self.assertEqual((claims["iss"], claims["aud"], claims["sub"]),
                         ("Azure Container Registry", REGISTRY, CLIENT))
        self.assertEqual({"exp", "nbf", "iat", "jti"} - set(claims), set())

    def test_refresh_token_of_any_lifetime_from_the_admin_api(self):
        expired = self.fake.issue_refresh_token(REGISTRY, CLIENT, lifetime_seconds=-60)
        self.assertLess(jwt_claims(expired)["exp"], time.time())
        status, body = self.pull_push_token(self.basic(NULL_GUID, expired))
        self.assertEqual(status, 401)
        self.assertEqual(body["errors"][0]["message"], "the refresh token is invalid: token is expired")

    def test_token_endpoint_refusals(self):
        refresh_token = self.refresh_token()  # for myacr.azurecr.io
        other_registry = f"localhost:{self.fake.ports['tls']}"
        cases = [
            ("not the null GUID user", "GET", REGISTRY, self.basic("someone", refresh_token), None, 401),
            ("token of another registry", "GET", other_registry,
             self.basic(NULL_GUID, refresh_token), None, 401),
            ("password grant", "POST", REGISTRY, None,
             {"grant_type": "password", "service": REGISTRY, "username": "u", "password": "p"}, 400),
        ]
        for name, method, host, headers, form, status in cases:
            with self.subTest(name):
                query = urlencode({"service": host, "scope": "repository:team/app:pull"})
                path = "/oauth2/token" if method == "POST" else f"/oauth2/token?{query}"
                self.assertEqual(self.call(method, path, host, form, headers)[0], status)

    def test_registry_challenge(self):
        status, headers, _ = self.call("GET", "/v2/")
        self.assertEqual(status, 401)
        self.assertEqual(headers["Www-Authenticate"],
                         f'Bearer realm="https://{REGISTRY}/oauth2/token",service="{REGISTRY}"')

    def test_unknown_paths_are_404_and_recorded_as_other(self):
        self.assertEqual(self.call("GET", "/nothing/here")[0], 404)
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.fake.requests()], [("other", 404)])

    # ---------------------------------------------------------------- recording and admin

    def test_requests_are_recorded_in_order_with_form_and_headers(self):
        self.entra()
        entra, = self.fake.requests()
        fields = ("endpoint", "method", "host", "path", "status", "via_proxy")
        self.assertEqual({k: entra[k] for k in fields},
                         {"endpoint": "entra", "method": "POST", "host": "login.microsoftonline.com",
                          "path": f"/{TENANT}/oauth2/v2.0/token", "status": 200, "via_proxy": False})
        self.assertEqual(entra["form"]["client_secret"], SECRET)
        self.assertEqual(entra["headers"]["content-type"], "application/x-www-form-urlencoded")

    def test_scenario_names_the_tls_port_and_can_delay_responses(self):
        self.fake.set_scenario({**SCENARIO, "delay_ms": 300})
        started = time.monotonic()
        status, _, _ = self.exchange(host=f"localhost:{self.fake.ports['tls']}")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.6)  # Entra + exchange, 300 ms each

    def test_invalid_admin_input_is_refused(self):
        with self.assertRaisesRegex(RuntimeError, "400"):
            self.fake.faults("nowhere", [{"status": 500}])
        with self.assertRaisesRegex(RuntimeError, "400"):
            self.fake.faults("entra", [{"status": 500}, {"status": 502}], always=True)
        with self.assertRaisesRegex(RuntimeError, "400"):
            self.fake.set_scenario({"tenants": 3})

    # ---------------------------------------------------------------- faults

    def test_faults_are_consumed_in_order(self):
        self.fake.faults("entra", [
            {"status": 429, "headers": {"Retry-After": "1"}, "body": {"error": "slow"}},
            {"delay_ms": 200},
        ])
        status, headers, _ = self.call("POST", f"/{TENANT}/oauth2/v2.0/token", form={})
        self.assertEqual((status, headers["Retry-After"]), (429, "1"))
        started = time.monotonic()
        self.assertEqual(self.entra()[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual([r["status"] for r in self.fake.requests()], [429, 200])

    def test_always_fault_repeats_until_cleared(self):
        self.fake.faults("exchange", [{"status": 503}], always=True)
        token = self.access_token()
        self.assertEqual([self.exchange(access_token=token)[0] for _ in range(3)], [503, 503, 503])
        self.fake.clear_faults()
        self.assertEqual(self.exchange(access_token=token)[0], 200)

    def test_reset_and_close_faults_drop_the_connection(self):
        self.fake.faults("token", [{"action": "reset"}, {"action": "close"}])
        with self.assertRaises(ConnectionResetError):
            self.call("GET", "/oauth2/token")
        with self.assertRaises(http.client.RemoteDisconnected):
            self.call("GET", "/oauth2/token")
        self.assertEqual([r["status"] for r in self.fake.requests()], ["reset", "close"])

    # ---------------------------------------------------------------- proxy

    def connect(self, target):
        """Send CONNECT to the proxy; returns (status line, socket)."""
        sock = socket.create_connection(("127.0.0.1", self.fake.ports["proxy"]), timeout=10)
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                break
            head += chunk
        return head.split(b"\r\n")[0].decode(), sock

    def test_proxy_tunnels_only_to_the_certificate_names(self):
        for target, allowed in (("login.microsoftonline.com:443", True), ("myacr.azurecr.io:443", True),
                                ("a.westeurope.geo.azurecr.io:443", True),
                                ("a.b.azurecr.io:443", False), ("evil.com:443", False),
                                ("myacr.azurecr.io:8443", False)):
            with self.subTest(target=target):
                line, sock = self.connect(target)
                sock.close()
                self.assertEqual(line.split(" ")[1], "200" if allowed else "403")
        self.assertEqual(len(self.fake.connects()), 6)

    def test_tunnelled_requests_are_marked_via_proxy(self):
        line, sock = self.connect(f"{REGISTRY}:443")
        self.assertIn(" 200 ", line)
        context = ssl.create_default_context(cafile=self.fake.ca)
        with context.wrap_socket(sock, server_hostname=REGISTRY) as tls:
            tls.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {REGISTRY}\r\nConnection: close\r\n\r\n".encode())
            self.assertTrue(tls.recv(64).startswith(b"HTTP/1.1 401"))
        request, = self.fake.requests()
        self.assertTrue(request["via_proxy"])


if __name__ == "__main__":
    unittest.main()
