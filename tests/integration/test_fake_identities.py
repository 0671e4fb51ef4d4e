#!/usr/bin/python3
"""Self-tests of the fake's identity features: certificate and federated client assertions at
the Entra token endpoint, the Azure Arc HIMDS and Azure VM IMDS listeners.

No plugin binary needed: the tests talk to the fake over HTTP(S) as a client would, with
credentials from identities.py, and check that every kind of token opens the ACR exchange.
"""

import stat
import time
import unittest
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import padding
from harness import IntegrationTestCase, jwt_claims
from identities import (FEDERATION_AUDIENCE, client_assertion, decode_jwt, make_certificate,
                        make_issuer, service_account_token)

TENANT = "6d2f4a8c-1b3e-4d5f-9a7c-2e4b6d8f0a1c"
CERT_CLIENT = "3e5a7c9b-2d4f-4a6c-8e0b-1d3f5a7c9e2b"
FED_CLIENT = "5a7c9e1b-3d5f-4b7a-9c2e-4f6a8c0e2b4d"
ARC_TENANT = "8f0a2c4e-6b8d-4f1a-9c3e-5b7d9f1a3c5e"
ARC_SYSTEM = "0c2e4a6b-8d1f-4a3c-9e5b-7d9f1b3d5f7a"
ARC_USER = "2e4a6c8d-0f1b-4c3e-8a5d-9f1b3d5f7b9c"
VM_SYSTEM = "4a6c8e0f-2b4d-4e6a-8c1f-3b5d7f9a1c3e"
VM_USER = "6c8e0a2b-4d6f-4a8c-9e3b-5d7f9b1d3f5a"
VM_USER_OBJECT = "7d9f1b3c-5e7a-4b9d-8f2c-6e8a0c2e4a6b"
ACR_RESOURCE = "https://containerregistry.azure.net"
REGISTRY = "myacr.azurecr.io"
ENTRA_HOST = "login.microsoftonline.com"
TOKEN_URL = f"https://{ENTRA_HOST}/{TENANT}/oauth2/v2.0/token"
NAMESPACE, SERVICE_ACCOUNT = "payments", "puller"
SUBJECT = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"

CERT, CERT_KEY = make_certificate("acr-puller")
UNREGISTERED_CERT, UNREGISTERED_KEY = make_certificate("acr-puller")  # same name, other key
ISSUER, ISSUER_KEY, ISSUER_PUBLIC = make_issuer()
_, ROGUE_KEY, _ = make_issuer()  # signs tokens that claim to come from ISSUER

SCENARIO = {
    "tenants": {TENANT: {"aliases": ["contoso.onmicrosoft.com"], "apps": {
        CERT_CLIENT: {"certificates": [CERT]},
        FED_CLIENT: {"federated": [{"issuer": ISSUER, "subject": SUBJECT,
                                    "audience": FEDERATION_AUDIENCE}]},
    }}},
    "issuers": {ISSUER: {"keys": [ISSUER_PUBLIC]}},
    "himds": {"tenant": ARC_TENANT, "system_client_id": ARC_SYSTEM, "user_assigned": {ARC_USER: {}}},
    "imds": {"tenant": TENANT, "system_client_id": VM_SYSTEM,
             "user_assigned": {VM_USER: {"object_id": VM_USER_OBJECT}}},
    "registries": {REGISTRY: {"acrpull": [CERT_CLIENT, FED_CLIENT, ARC_SYSTEM, VM_SYSTEM]}},
}


class FakeIdentitiesTest(IntegrationTestCase):
    scenario = SCENARIO

    # ---------------------------------------------------------------- helpers

    def entra(self, assertion, client=CERT_CLIENT, tenant=TENANT, **form_changes):
        """POST an assertion to the token endpoint; form_changes add or (None) drop fields."""
        form = {"grant_type": "client_credentials", "client_id": client,
                "scope": f"{ACR_RESOURCE}/.default", "client_assertion": assertion,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                **form_changes}
        return self.fake.call("tls", "POST", f"/{tenant}/oauth2/v2.0/token", ENTRA_HOST,
                              {k: v for k, v in form.items() if v is not None})

    def certificate_assertion(self, **changes):
        return client_assertion(CERT, CERT_KEY, CERT_CLIENT, TOKEN_URL, **changes)

    def sa_token(self, **changes):
        return service_account_token(ISSUER, ISSUER_KEY, NAMESPACE, SERVICE_ACCOUNT, **changes)

    def assert_entra_error(self, reply, status, error, code):
        got_status, _, body = reply
        self.assertEqual((got_status, body["error"], body["error_codes"]), (status, error, [code]),
                         body.get("error_description"))
        self.assertTrue(body["error_description"].startswith(f"AADSTS{code}: "))

    def identity(self, service, metadata="true", headers=None, **query):
        """GET the token path of the "himds" or "imds" listener; query defaults to the ACR resource."""
        query = {"api-version": "2020-06-01" if service == "himds" else "2018-02-01",
                 "resource": ACR_RESOURCE, **query}
        all_headers = {**({"Metadata": metadata} if metadata else {}), **(headers or {})}
        return self.fake.call(service, "GET", f"/metadata/identity/oauth2/token?{urlencode(query)}",
                              headers=all_headers)

    def himds_challenge(self, **query):
        """Step 1 of the Arc flow: the key file the 401 names."""
        status, headers, _ = self.identity("himds", **query)
        self.assertEqual(status, 401)
        scheme, _, realm = headers["WWW-Authenticate"].partition(" ")
        self.assertEqual(scheme, "Basic")
        self.assertTrue(realm.startswith("realm="), realm)
        return Path(realm.removeprefix("realm="))

    def himds(self, **query):
        """Both steps of the Arc flow, as MSAL does them; returns the second reply."""
        key = self.himds_challenge(**query).read_text()
        return self.identity("himds", headers={"Authorization": f"Basic {key}"}, **query)

    def exchange(self, access_token, tenant):
        form = {"grant_type": "access_token", "service": REGISTRY, "tenant": tenant,
                "access_token": access_token}
        return self.fake.call("tls", "POST", "/oauth2/exchange", REGISTRY, form)

    # ---------------------------------------------------------------- certificate assertions

    def test_certificate_assertions_are_accepted(self):
        cases = [("PS256", "x5t#S256", {}), ("RS256", "x5t", {}), ("RS256", "x5t#S256", {}),
                 ("PS256", "x5t#S256", {"nbf": int(time.time()) + 30}),  # within the clock skew
                 ("PS256", "x5t#S256", {"iat": None})]                    # iat is optional
        for alg, thumbprint, claims in cases:
            with self.subTest(alg=alg, thumbprint=thumbprint, claims=claims):
                self.fake.reset()
                assertion = self.certificate_assertion(alg=alg, thumbprint=thumbprint, **claims)
                status, _, body = self.entra(assertion)
                self.assertEqual(status, 200, body)
                token = jwt_claims(body["access_token"])
                self.assertEqual((token["appid"], token["tid"], token["aud"]),
                                 (CERT_CLIENT, TENANT, ACR_RESOURCE))
                request, = self.fake.requests()
                header, claims = decode_jwt(assertion)
                self.assertEqual(request["assertion"], {"header": header, "claims": claims})

    def test_audience_is_the_token_url_as_requested(self):
        alias_url = f"https://{ENTRA_HOST}/contoso.onmicrosoft.com/oauth2/v2.0/token"
        self.assertEqual(self.entra(self.certificate_assertion(aud=alias_url),
                                    tenant="contoso.onmicrosoft.com")[0], 200)
        # The same tenant by GUID is still another URL.
        self.assert_entra_error(self.entra(self.certificate_assertion(),
                                           tenant="contoso.onmicrosoft.com"),
                                400, "invalid_request", 50027)

    def test_certificate_assertion_refusals(self):
        now = int(time.time())
        cases = [
            ("certificate not registered",
             client_assertion(UNREGISTERED_CERT, UNREGISTERED_KEY, CERT_CLIENT, TOKEN_URL),
             401, "invalid_client", 700027),
            ("registered thumbprint, other key",
             client_assertion(CERT, UNREGISTERED_KEY, CERT_CLIENT, TOKEN_URL),
             401, "invalid_client", 700027),
            ("PS256 named by SHA-1 x5t", self.certificate_assertion(thumbprint="x5t"),
             401, "invalid_client", 700027),
            ("PS256 with OpenSSL's maximum salt",
             self.certificate_assertion(pss_salt_length=padding.PSS.MAX_LENGTH),
             401, "invalid_client", 700027),
            ("wrong aud", self.certificate_assertion(aud=f"https://{ENTRA_HOST}/{TENANT}/oauth2/token"),
             400, "invalid_request", 50027),
            ("iss is not the client", self.certificate_assertion(iss=FED_CLIENT),
             400, "invalid_request", 50027),
            ("sub is not the client", self.certificate_assertion(sub=FED_CLIENT),
             400, "invalid_request", 50027),
            ("no jti", self.certificate_assertion(jti=None), 400, "invalid_request", 50027),
            ("not a JWT", "not-a-jwt", 400, "invalid_request", 50027),
            ("expired", self.certificate_assertion(nbf=now - 600, exp=now - 1),
             400, "invalid_client", 700024),
            ("not yet valid", self.certificate_assertion(nbf=now + 120, exp=now + 600),
             400, "invalid_client", 700024),
            ("valid for more than 10 minutes", self.certificate_assertion(lifetime=601),
             400, "invalid_client", 700024),
        ]
        for name, assertion, status, error, code in cases:
            with self.subTest(name):
                self.assert_entra_error(self.entra(assertion), status, error, code)

    def test_one_credential_exactly(self):
        assertion = self.certificate_assertion()
        for name, changes in [("secret too", {"client_secret": "x"}),
                              ("no assertion type", {"client_assertion_type": None}),
                              ("other assertion type", {"client_assertion_type": "saml2-bearer"}),
                              ("type but no assertion", {"client_assertion": None})]:
            with self.subTest(name):
                self.assert_entra_error(self.entra(assertion, **changes), 401, "invalid_client", 7000215)

    # ---------------------------------------------------------------- federated assertions

    def test_service_account_token_is_accepted(self):
        for audience in (FEDERATION_AUDIENCE, [FEDERATION_AUDIENCE], ["other", FEDERATION_AUDIENCE]):
            with self.subTest(audience=audience):
                self.fake.reset()
                token = self.sa_token(aud=audience)
                status, _, body = self.entra(token, client=FED_CLIENT)
                self.assertEqual(status, 200, body)
                self.assertEqual(jwt_claims(body["access_token"])["appid"], FED_CLIENT)
                request, = self.fake.requests()
                self.assertEqual(request["assertion"]["claims"]["sub"], SUBJECT)
                self.assertEqual(request["assertion"]["header"]["alg"], "RS256")

    def test_service_account_token_refusals(self):
        _, unknown_issuer_key, _ = make_issuer()
        cases = [
            ("other service account", FED_CLIENT, self.sa_token(sub="system:serviceaccount:payments:x"),
             400, "invalid_grant", 70021),
            ("other audience", FED_CLIENT, self.sa_token(aud=["api://other"]),
             400, "invalid_grant", 70021),
            ("app without federation", CERT_CLIENT, self.sa_token(), 400, "invalid_grant", 70021),
            ("issuer unknown to Entra", FED_CLIENT, service_account_token(
                "https://oidc.k3s.example/unknown", unknown_issuer_key, NAMESPACE, SERVICE_ACCOUNT),
             400, "invalid_grant", 700211),
            ("signed by another key", FED_CLIENT, service_account_token(
                ISSUER, ROGUE_KEY, NAMESPACE, SERVICE_ACCOUNT), 401, "invalid_client", 700027),
            ("expired", FED_CLIENT, self.sa_token(lifetime=-1), 400, "invalid_client", 700024),
        ]
        for name, client, token, status, error, code in cases:
            with self.subTest(name):
                self.assert_entra_error(self.entra(token, client=client), status, error, code)

    # ---------------------------------------------------------------- Azure Arc HIMDS

    def test_himds_two_step_flow(self):
        key_file = self.himds_challenge()
        self.assertEqual(key_file.parent, self.fake.state_dir / "azcmagent-tokens")
        self.assertEqual(key_file.suffix, ".key")
        self.assertEqual(stat.S_IMODE(key_file.stat().st_mode), 0o600)
        key = key_file.read_text()
        status, _, body = self.identity("himds", headers={"Authorization": f"Basic {key}"})
        self.assertEqual(status, 200, body)
        self.assertEqual({k: body[k] for k in ("expires_in", "resource", "token_type", "client_id")},
                         {"expires_in": "3599", "resource": ACR_RESOURCE, "token_type": "Bearer",
                          "client_id": ARC_SYSTEM})
        claims = jwt_claims(body["access_token"])
        self.assertEqual((claims["appid"], claims["tid"], claims["aud"]),
                         (ARC_SYSTEM, ARC_TENANT, ACR_RESOURCE))
        self.assertEqual(body["expires_on"], str(claims["exp"]))
        challenge, answer = self.fake.requests()
        self.assertEqual([(r["endpoint"], r["status"]) for r in (challenge, answer)],
                         [("himds", 401), ("himds", 200)])
        self.assertEqual(challenge["key_file"], str(key_file))
        self.assertEqual((answer["headers"]["metadata"], answer["query"]["api-version"]),
                         ("true", "2020-06-01"))

    def test_himds_refusals(self):
        self.himds_challenge()
        status, headers, _ = self.identity("himds", headers={"Authorization": "Basic not-the-key"})
        self.assertEqual(status, 401)
        self.assertIn("realm=", headers["WWW-Authenticate"])
        self.assertEqual(self.identity("himds", metadata=None)[0], 400)
        self.assertEqual(self.identity("himds", **{"api-version": "2018-02-01"})[0], 400)
        status, _, body = self.himds(client_id="1f3b5d7a-9c2e-4a6c-8e0a-2c4e6a8c0e1f")
        self.assertEqual((status, body["error"], body["error_description"]),
                         (400, "invalid_request", "Identity not found"))
        self.assertEqual(self.himds(resource="https://vault.azure.net")[2]["error"], "invalid_resource")

    def test_himds_user_assigned_identity(self):
        status, _, body = self.himds(client_id=ARC_USER)
        self.assertEqual((status, body["client_id"]), (200, ARC_USER))
        self.assertEqual(jwt_claims(body["access_token"])["appid"], ARC_USER)

    def test_himds_agent_that_ignores_client_id(self):
        self.fake.set_scenario({**SCENARIO, "himds": {**SCENARIO["himds"], "ignore_client_id": True}})
        status, _, body = self.himds(client_id=ARC_USER)
        self.assertEqual((status, body["client_id"]), (200, ARC_SYSTEM))

    def test_himds_announces_the_configured_key_file(self):
        key_dir = self.new_dir("keys-")
        prepared = key_dir / "prepared.key"
        prepared.write_text("x" * 5000)  # a test's own file (here: too big) is announced as is
        cases = [({"key_dir": str(key_dir)}, lambda path: path.suffix == ".key"),
                 ({"realm_path_override": str(key_dir / "{uuid}.txt")}, lambda path: path.suffix == ".txt"),
                 ({"realm_path_override": str(prepared)}, lambda path: path == prepared)]
        for himds, expected in cases:
            with self.subTest(himds=himds):
                self.fake.set_scenario({**SCENARIO, "himds": {**SCENARIO["himds"], **himds}})
                key_file = self.himds_challenge()
                self.assertEqual(key_file.parent, key_dir)
                self.assertTrue(expected(key_file), key_file)
                key = key_file.read_text()
                self.assertEqual(self.identity("himds", headers={"Authorization": f"Basic {key}"})[0],
                                 200)
        self.assertEqual(prepared.read_text(), "x" * 5000)  # the fake never overwrites it

    # ---------------------------------------------------------------- Azure VM IMDS

    def test_imds_token(self):
        status, _, body = self.identity("imds")
        self.assertEqual(status, 200, body)
        self.assertEqual({k: body[k] for k in ("expires_in", "refresh_token", "resource", "token_type")},
                         {"expires_in": "3599", "refresh_token": "", "resource": ACR_RESOURCE,
                          "token_type": "Bearer"})
        claims = jwt_claims(body["access_token"])
        self.assertEqual((claims["appid"], claims["tid"]), (VM_SYSTEM, TENANT))
        self.assertEqual((body["expires_on"], body["not_before"]),
                         (str(claims["exp"]), str(claims["nbf"])))
        for selector in ({"client_id": VM_USER}, {"object_id": VM_USER_OBJECT}):
            with self.subTest(selector=selector):
                self.assertEqual(self.identity("imds", **selector)[2]["client_id"], VM_USER)
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.fake.requests()],
                         [("imds", 200)] * 3)

    def test_imds_requires_the_metadata_header(self):
        self.assertEqual(self.identity("imds", metadata=None), (400, mock.ANY, {
            "error": "invalid_request", "error_description": "Required metadata header not specified"}))

    # ---------------------------------------------------------------- faults and the exchange

    def test_faults_on_the_identity_listeners(self):
        self.fake.faults("imds", [{"status": 429, "headers": {"Retry-After": "1"}}, {"status": 500},
                                  {"status": 410}])
        self.assertEqual([self.identity("imds")[0] for _ in range(4)], [429, 500, 410, 200])
        self.fake.faults("himds", [{"action": "reset"}])
        with self.assertRaises(ConnectionResetError):
            self.identity("himds")
        self.assertEqual(self.identity("himds")[0], 401)

    def test_every_kind_of_token_opens_the_exchange(self):
        sources = {
            "certificate": (lambda: self.entra(self.certificate_assertion()), TENANT, CERT_CLIENT),
            "federated": (lambda: self.entra(self.sa_token(), client=FED_CLIENT), TENANT, FED_CLIENT),
            "himds": (self.himds, ARC_TENANT, ARC_SYSTEM),
            "imds": (lambda: self.identity("imds"), TENANT, VM_SYSTEM),
        }
        for name, (get_token, tenant, client) in sources.items():
            with self.subTest(name):
                access_token = get_token()[2]["access_token"]
                status, _, body = self.exchange(access_token, tenant)
                self.assertEqual(status, 200, body)
                self.assertEqual(jwt_claims(body["refresh_token"])["sub"], client)
        # A managed identity without AcrPull is refused like any principal.
        access_token = self.himds(client_id=ARC_USER)[2]["access_token"]
        self.assertEqual(self.exchange(access_token, ARC_TENANT)[0], 401)


if __name__ == "__main__":
    unittest.main()
