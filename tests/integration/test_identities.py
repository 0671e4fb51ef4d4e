#!/usr/bin/python3
"""Identities besides a node's client secret, clouds, per-registry identities and mirrors,
end to end against the fakes.

  certificate          clientCertificateFile: a client assertion signed with the app's key
  service account      KEP-4412: the kubelet hands over the pod's service-account token
  federated token file federatedTokenFile: a token the node is given, re-read every run
  clouds               AzureChinaCloud, AzureUSGovernmentCloud, AzureCustomCloud
  identities, mirrors  another tenant's app for one registry; a registry served by an ACR

The plugin reaches the real host names through the fake's CONNECT proxy (HTTPS_PROXY), as on a
node behind a corporate proxy; only the custom cloud's authority is localhost:<tls>. Every test
gets a fresh cache dir and asserts the exact requests the fakes saw. Certificates, issuers and
tokens come from identities.py. Needs $ACRCP_BINARY.
"""

import time
import unittest
from unittest import mock

from harness import (API_VERSIONS, NULL_GUID, IntegrationTestCase, jwt_claims, request, summary,
                     write_secret)
from identities import (certificate_thumbprints, decode_jwt, encrypt_key, make_certificate,
                        make_issuer, service_account_token)

TENANT = "2b4d6f8a-1c3e-4a5b-9d7f-0e2a4c6e8b1d"
TENANT_B = "7e9a1c3b-5d7f-4e2a-8c4b-6d8f0a2c4e6b"
CERT_CLIENT = "1a3c5e7b-9d2f-4b6a-8c1e-3f5a7b9d2c4e"     # signs in with a certificate
SECRET_CLIENT = "3c5e7a9b-2d4f-4c6e-9a1b-5d7f9b2d4f6a"   # signs in with a secret
SA_CLIENT = "5e7a9c1d-4f6b-4e8a-8b3d-7f9b1d3f5a7c"       # trusts two pods' service accounts
FED_CLIENT = "8a1c3e5f-7b9d-4f2c-9e6a-0b2d4f6a8c1e"      # trusts the node's federated token
CLIENT_B = "9c2e4a6b-8d1f-4a3c-8e7b-1d3f5a7c9e2b"        # tenant B's app, for otheracr only
SECRET = "Nq4Q~ident.Wb_8Ks-3mPzXc6vB2uD9sF1gH5jL7pRt"
SECRET_B = "Tx6Q~tenantb.Gc_1Yh-5nLqWe8rU3iO7pA9sDfHk"
KEY_PASSWORD = "c0rrect h0rse:battery/staple"

REGISTRY = "myacr.azurecr.io"
OTHER_REGISTRY = "otheracr.azurecr.io"
CHINA_REGISTRY = "myacr.azurecr.cn"
US_GOV_REGISTRY = "myacr.azurecr.us"
MIRROR = "registry.local:5000"
PUBLIC_AUTHORITY = "login.microsoftonline.com"
ACR_AUDIENCE = "https://containerregistry.azure.net"
CUSTOM_AUDIENCE = "https://containerregistry.sovereign.example"  # only the custom cloud asks for it
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
CLIENT_ID_ANNOTATION = "kubernetes.azure.com/acr-client-id"
TENANT_ID_ANNOTATION = "kubernetes.azure.com/acr-tenant-id"
V1 = API_VERSIONS[0]

CERT, CERT_KEY = make_certificate("acr-node-puller")
ENCRYPTED_CERT_KEY = encrypt_key(CERT_KEY, KEY_PASSWORD)
UNREGISTERED_CERT, UNREGISTERED_KEY = make_certificate("acr-node-puller")  # same name, other key
ISSUER, ISSUER_KEY, ISSUER_PUBLIC = make_issuer()
# The assertion header that names CERT, as Entra wants it for the default signature.
PS256_HEADER = {"alg": "PS256", "typ": "JWT", "x5t#S256": certificate_thumbprints(CERT)["x5t#S256"]}

# Service accounts as (namespace, name).
PAYMENTS = ("payments", "puller")
BILLING = ("billing", "exporter")
NODE_AGENT = ("kube-system", "acr-node")     # the node's federated token file is for this one
UNFEDERATED = ("web", "frontend")            # no app trusts it


def subject(service_account):
    namespace, name = service_account
    return f"system:serviceaccount:{namespace}:{name}"


SCENARIO = {
    "tenants": {
        TENANT: {"apps": {
            CERT_CLIENT: {"certificates": [CERT]},
            SECRET_CLIENT: {"secrets": [SECRET]},
            SA_CLIENT: {"federated": [{"issuer": ISSUER, "subject": subject(PAYMENTS)},
                                      {"issuer": ISSUER, "subject": subject(BILLING)}]},
            FED_CLIENT: {"federated": [{"issuer": ISSUER, "subject": subject(NODE_AGENT)}]},
        }},
        TENANT_B: {"apps": {CLIENT_B: {"secrets": [SECRET_B]}}},
    },
    "issuers": {ISSUER: {"keys": [ISSUER_PUBLIC]}},
    "registries": {
        REGISTRY: {"acrpull": [CERT_CLIENT, SECRET_CLIENT, SA_CLIENT, FED_CLIENT]},
        OTHER_REGISTRY: {"acrpull": [CLIENT_B]},
        CHINA_REGISTRY: {"acrpull": [SECRET_CLIENT]},
        US_GOV_REGISTRY: {"acrpull": [SECRET_CLIENT]},
    },
    "audiences": [ACR_AUDIENCE, CUSTOM_AUDIENCE],
    "refresh_token_lifetime_seconds": 10800,
}


def image(registry):
    return f"{registry}/team/app"


def pod_token(service_account, **changes):
    """The token the kubelet mints for a pod running as `service_account` (a fresh one per call)."""
    namespace, name = service_account
    return service_account_token(ISSUER, ISSUER_KEY, namespace, name, **changes)


class IdentityTest(IntegrationTestCase):
    """Shared plumbing: configs, credential files, invocations and flow assertions."""

    scenario = SCENARIO

    def setUp(self):
        super().setUp()
        # Whichever of them a test writes to a file or passes on, none may ever be printed.
        self.secrets.update({CERT_KEY, ENCRYPTED_CERT_KEY, UNREGISTERED_KEY, KEY_PASSWORD})

    # ---------------------------------------------------------------- configs and files

    def config(self, **keys):
        """A node config with the fake's CA and a fresh cache dir, plus `keys`."""
        return {"caBundleFile": self.fake.ca, "cacheDir": str(self.new_dir("cache-")), **keys}

    def secret_config(self, tenant=TENANT, client=SECRET_CLIENT, secret=SECRET, **keys):
        return self.config(tenantId=tenant, clientId=client,
                           clientSecretFile=str(self.secret_file(secret)), **keys)

    def credential_file(self, name, value, mode=0o600):
        """A fresh file `name` holding `value`; the value is then checked for leaks on every run."""
        self.secrets.add(value)
        return write_secret(self.new_dir("credential-") / name, value, mode)

    def certificate_file(self, cert=CERT, key=CERT_KEY, mode=0o600):
        """A PEM file of the certificate and its private key, as clientCertificateFile wants."""
        self.secrets.add(key)
        return self.credential_file("client.pem", cert + key, mode)

    def password_file(self, password):
        return self.credential_file("key-password", password)

    def certificate_config(self, certificate=None, **keys):
        """CERT_CLIENT signing in with `certificate` (default: a file of CERT and its key)."""
        certificate = certificate or self.certificate_file()
        return self.config(tenantId=TENANT, clientId=CERT_CLIENT,
                           clientCertificateFile=str(certificate), **keys)

    def token_file(self, token, mode=0o644):
        """A federated token file (readable by all is fine; writable by others is not)."""
        return self.credential_file("token", token, mode)

    # ---------------------------------------------------------------- running the plugin

    def proxy_env(self):
        return {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"}

    def invoke(self, config, registry=REGISTRY, token=None, annotations=None, env=None):
        """Run the plugin for an image of `registry`; `token` and `annotations` are what the
        kubelet adds for a provider with tokenAttributes (KEP-4412)."""
        stdin = request(V1, image(registry))
        if token is not None:
            self.secrets.add(token)
            stdin["serviceAccountToken"] = token
        if annotations is not None:
            stdin["serviceAccountAnnotations"] = annotations
        path = self.write_config(config)
        return self.run_plugin(["--config", str(path)], stdin,
                               env={**self.proxy_env(), **(env or {})})

    # ---------------------------------------------------------------- assertions

    def assert_credentials(self, result, registries=(REGISTRY,)):
        """Success with one ACR refresh token for `registries[0]`, given for each of
        `registries` (a mirror gets its ACR's); returns that password."""
        response = self.assert_success(result)
        self.assertEqual((response["apiVersion"], response["kind"], response["cacheKeyType"]),
                         (V1, "CredentialProviderResponse", "Registry"))
        self.assertEqual(sorted(response["auth"]), sorted(registries))
        password = response["auth"][registries[0]]["password"]
        for registry in registries:
            self.assertEqual(response["auth"][registry],
                             {"username": NULL_GUID, "password": password})
        claims = jwt_claims(password)
        self.assertEqual((claims["aud"], claims["grant_type"]), (registries[0], "refresh_token"))
        return password

    def assert_no_credentials(self, result):
        """The answer for a registry that is not the cloud's ACR: empty auth, nothing sent."""
        self.assertEqual(self.assert_success(result),
                         {"apiVersion": V1, "kind": "CredentialProviderResponse",
                          "cacheKeyType": "Registry", "cacheDuration": "0s", "auth": {}})
        self.assert_no_network()

    def assert_no_network(self):
        self.assertEqual(self.fake.requests(), [])
        self.assertEqual(self.fake.connects(), [])

    def assert_flow(self, tenant, client, login_server=REGISTRY, authority=PUBLIC_AUTHORITY,
                    audience=ACR_AUDIENCE):
        """Exactly: one Entra sign-in as `client` in `tenant` at `authority`, then one exchange
        at `login_server` carrying `tenant`. Returns (entra, exchange) from the request log."""
        requests = self.fake.requests()
        self.assertEqual([(r["endpoint"], r["method"], r["host"], r["path"], r["status"])
                          for r in requests],
                         [("entra", "POST", authority, f"/{tenant}/oauth2/v2.0/token", 200),
                          ("exchange", "POST", login_server, "/oauth2/exchange", 200)])
        entra, exchange = requests
        self.assertEqual(exchange["form"], {"grant_type": "access_token", "service": login_server,
                                            "tenant": tenant,
                                            "access_token": exchange["form"].get("access_token")})
        # The fake accepted it (200), so it is the token the single Entra request issued.
        access_token = jwt_claims(exchange["form"]["access_token"])
        self.assertEqual((access_token["appid"], access_token["tid"], access_token["aud"]),
                         (client, tenant, audience))
        return entra, exchange

    def assert_secret_form(self, entra, client, secret, audience=ACR_AUDIENCE):
        self.assertEqual(entra["form"], {"grant_type": "client_credentials", "client_id": client,
                                         "client_secret": secret, "scope": f"{audience}/.default"})

    def assert_assertion_form(self, entra, client, assertion=mock.ANY):
        """The Entra form of a sign-in by client assertion, no secret; returns the assertion."""
        self.assertEqual(entra["form"], {"grant_type": "client_credentials", "client_id": client,
                                         "scope": f"{ACR_AUDIENCE}/.default",
                                         "client_assertion_type": JWT_BEARER,
                                         "client_assertion": assertion})
        header, claims = decode_jwt(entra["form"]["client_assertion"])
        self.assertEqual(entra["assertion"], {"header": header, "claims": claims})
        return entra["form"]["client_assertion"]

    def assert_password_accepted(self, password, registry=REGISTRY):
        """A container runtime's next step: trade the password for a pull token."""
        status, body = self.fake.pull_token(registry, "team/app", password)
        self.assertEqual(status, 200, body)
        self.assertIn("access_token", body)


class CertificateTest(IdentityTest):
    """clientCertificateFile: Entra gets a JWT signed with the app certificate's key."""

    def signed_in_assertion(self, config):
        """Run with `config`, expect success; returns the assertion's (header, claims)."""
        self.assert_credentials(self.invoke(config))
        entra, _ = self.assert_flow(TENANT, CERT_CLIENT)
        return decode_jwt(self.assert_assertion_form(entra, CERT_CLIENT))

    def test_certificate_assertion_replaces_the_secret_end_to_end(self):
        password = self.assert_credentials(self.invoke(self.certificate_config()))
        entra, _ = self.assert_flow(TENANT, CERT_CLIENT)
        self.assert_assertion_form(entra, CERT_CLIENT)
        self.assert_password_accepted(password)

    def test_default_signature_is_ps256_naming_the_sha256_thumbprint(self):
        header, _ = self.signed_in_assertion(self.certificate_config())
        self.assertEqual(header, PS256_HEADER)

    def test_assertion_claims_name_the_app_and_the_token_endpoint(self):
        before = int(time.time())
        _, claims = self.signed_in_assertion(self.certificate_config())
        after = time.time()
        self.assertEqual(set(claims), {"aud", "iss", "sub", "jti", "nbf", "iat", "exp"})
        self.assertEqual((claims["aud"], claims["iss"], claims["sub"]),
                         (f"https://{PUBLIC_AUTHORITY}/{TENANT}/oauth2/v2.0/token",
                          CERT_CLIENT, CERT_CLIENT))
        self.assertRegex(claims["jti"], GUID)
        self.assertEqual(claims["nbf"], claims["iat"])
        self.assertTrue(before <= claims["iat"] <= after, (before, claims["iat"], after))
        self.assertEqual(claims["exp"], claims["nbf"] + 600)

    def test_rs256_names_the_sha1_thumbprint(self):
        config = self.certificate_config(clientCertificateSignature="RS256")
        header, _ = self.signed_in_assertion(config)
        self.assertEqual(header, {"alg": "RS256", "typ": "JWT",
                                  "x5t": certificate_thumbprints(CERT)["x5t"]})

    def test_encrypted_key_is_opened_with_the_password_file(self):
        config = self.certificate_config(
            self.certificate_file(key=ENCRYPTED_CERT_KEY),
            clientCertificatePasswordFile=str(self.password_file(KEY_PASSWORD)))
        header, _ = self.signed_in_assertion(config)
        self.assertEqual(header, PS256_HEADER)

    def test_wrong_key_password_names_the_certificate_file(self):
        certificate = self.certificate_file(key=ENCRYPTED_CERT_KEY)
        config = self.certificate_config(
            certificate, clientCertificatePasswordFile=str(self.password_file("not the password")))
        line = self.assert_failure(self.invoke(config))
        self.assertIn(str(certificate), line)
        self.assertIn("cannot be read with the given password", line)
        self.assert_no_network()

    def test_unregistered_certificate_gets_the_registration_hint(self):
        config = self.certificate_config(self.certificate_file(UNREGISTERED_CERT, UNREGISTERED_KEY))
        line = self.assert_failure(self.invoke(config))
        self.assertIn("AADSTS700027", line)
        self.assertIn("az ad app credential reset", line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 401)])

    def test_group_readable_certificate_file_is_refused_before_any_request(self):
        certificate = self.certificate_file(mode=0o644)
        line = self.assert_failure(self.invoke(self.certificate_config(certificate)))
        self.assertIn(str(certificate), line)
        self.assertIn(f"chmod 600 {certificate}", line)
        self.assert_no_network()

    def test_group_readable_password_file_is_refused_before_any_request(self):
        password = self.credential_file("key-password", KEY_PASSWORD, mode=0o644)
        config = self.certificate_config(self.certificate_file(key=ENCRYPTED_CERT_KEY),
                                         clientCertificatePasswordFile=str(password))
        line = self.assert_failure(self.invoke(config))
        self.assertIn(f"chmod 600 {password}", line)
        self.assert_no_network()

    def test_certificate_and_password_from_azure_sdk_environment_variables(self):
        env = {"AZURE_CLIENT_CERTIFICATE_PATH": str(self.certificate_file(key=ENCRYPTED_CERT_KEY)),
               "AZURE_CLIENT_CERTIFICATE_PASSWORD": KEY_PASSWORD}
        self.assert_credentials(self.invoke(self.config(tenantId=TENANT, clientId=CERT_CLIENT),
                                            env=env))
        entra, _ = self.assert_flow(TENANT, CERT_CLIENT)
        header, _ = decode_jwt(self.assert_assertion_form(entra, CERT_CLIENT))
        self.assertEqual(header, PS256_HEADER)


class ServiceAccountTokenTest(IdentityTest):
    """KEP-4412: the request carries the pod's service-account token, which is the assertion."""

    def annotations(self, client=SA_CLIENT, tenant=TENANT):
        return {CLIENT_ID_ANNOTATION: client, TENANT_ID_ANNOTATION: tenant}

    def test_annotated_app_signs_in_with_the_pod_token_not_the_node_secret(self):
        token = pod_token(PAYMENTS)
        config = self.secret_config(tenant=TENANT_B, client=CLIENT_B, secret=SECRET_B)
        password = self.assert_credentials(self.invoke(config, token=token,
                                                       annotations=self.annotations()))
        entra, _ = self.assert_flow(TENANT, SA_CLIENT)
        self.assert_assertion_form(entra, SA_CLIENT, token)
        self.assert_password_accepted(password)

    def test_without_annotations_the_node_config_names_the_app(self):
        token = pod_token(PAYMENTS)
        self.assert_credentials(self.invoke(self.config(tenantId=TENANT, clientId=SA_CLIENT),
                                            token=token))
        entra, _ = self.assert_flow(TENANT, SA_CLIENT)
        self.assert_assertion_form(entra, SA_CLIENT, token)

    def test_node_without_credential_serves_service_account_requests(self):
        token = pod_token(PAYMENTS)
        self.assert_credentials(self.invoke(self.config(tenantId=TENANT), token=token,
                                            annotations={CLIENT_ID_ANNOTATION: SA_CLIENT}))
        entra, _ = self.assert_flow(TENANT, SA_CLIENT)
        self.assert_assertion_form(entra, SA_CLIENT, token)

    def test_node_without_credential_refuses_requests_without_a_token(self):
        line = self.assert_failure(self.invoke(self.config(tenantId=TENANT)))
        self.assertIn("no credential configured", line)
        self.assert_no_network()

    def test_each_service_account_gets_and_keeps_its_own_credentials(self):
        config = self.config(tenantId=TENANT)
        passwords = {}
        for service_account in (PAYMENTS, BILLING):
            self.fake.reset()
            token = pod_token(service_account)
            passwords[service_account] = self.assert_credentials(
                self.invoke(config, token=token, annotations=self.annotations()))
            entra, _ = self.assert_flow(TENANT, SA_CLIENT)
            self.assert_assertion_form(entra, SA_CLIENT, token)
        self.assertNotEqual(passwords[PAYMENTS], passwords[BILLING])
        for service_account in (PAYMENTS, BILLING):
            with self.subTest(repeat=subject(service_account)):
                self.fake.reset()
                password = self.assert_credentials(self.invoke(
                    config, token=pod_token(service_account), annotations=self.annotations()))
                self.assertEqual(password, passwords[service_account])
                self.assert_no_network()

    def test_service_account_without_federated_credential_names_issuer_and_subject(self):
        line = self.assert_failure(self.invoke(self.config(tenantId=TENANT),
                                               token=pod_token(UNFEDERATED),
                                               annotations=self.annotations()))
        self.assertIn("AADSTS70021", line)
        self.assertIn(ISSUER, line)
        self.assertIn(subject(UNFEDERATED), line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 400)])

    def test_expired_service_account_token_is_reported(self):
        line = self.assert_failure(self.invoke(self.config(tenantId=TENANT),
                                               token=pod_token(PAYMENTS, lifetime=-1),
                                               annotations=self.annotations()))
        self.assertIn("AADSTS700024", line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 400)])

    def test_not_yet_valid_service_account_token_is_reported(self):
        # nbf an hour ahead: as from a node whose clock runs behind the API server's.
        token = pod_token(PAYMENTS, nbf=int(time.time()) + 3600, lifetime=7200)
        line = self.assert_failure(self.invoke(self.config(tenantId=TENANT), token=token,
                                               annotations=self.annotations()))
        self.assertIn("AADSTS700024", line)
        self.assertIn("timedatectl", line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 400)])

    def test_client_id_annotation_that_is_not_a_guid_is_refused_before_any_request(self):
        line = self.assert_failure(self.invoke(self.config(tenantId=TENANT),
                                               token=pod_token(PAYMENTS),
                                               annotations=self.annotations(client="acr-puller")))
        self.assertIn(CLIENT_ID_ANNOTATION, line)
        self.assert_no_network()


class FederatedTokenFileTest(IdentityTest):
    """federatedTokenFile: a token the node is given (and rotated) is the assertion."""

    def token_config(self, path, **keys):
        return self.config(tenantId=TENANT, clientId=FED_CLIENT, federatedTokenFile=str(path),
                           **keys)

    def test_token_in_the_file_is_the_assertion(self):
        token = pod_token(NODE_AGENT)
        password = self.assert_credentials(self.invoke(self.token_config(self.token_file(token))))
        entra, _ = self.assert_flow(TENANT, FED_CLIENT)
        self.assert_assertion_form(entra, FED_CLIENT, token)
        self.assert_password_accepted(password)

    def test_rotated_token_file_is_read_again(self):
        first, rotated = pod_token(NODE_AGENT), pod_token(NODE_AGENT)
        path = self.token_file(first)
        self.assert_credentials(self.invoke(self.token_config(path)))
        entra, _ = self.assert_flow(TENANT, FED_CLIENT)
        self.assert_assertion_form(entra, FED_CLIENT, first)

        self.fake.reset()
        self.secrets.add(rotated)
        path.write_text(rotated)  # in place, as a token refresher would
        self.assert_credentials(self.invoke(self.token_config(path)))  # with a fresh cache dir
        entra, _ = self.assert_flow(TENANT, FED_CLIENT)
        self.assert_assertion_form(entra, FED_CLIENT, rotated)

    def test_token_file_from_azure_sdk_environment_variable(self):
        token = pod_token(NODE_AGENT)
        env = {"AZURE_FEDERATED_TOKEN_FILE": str(self.token_file(token))}
        self.assert_credentials(self.invoke(self.config(tenantId=TENANT, clientId=FED_CLIENT),
                                            env=env))
        entra, _ = self.assert_flow(TENANT, FED_CLIENT)
        self.assert_assertion_form(entra, FED_CLIENT, token)

    def test_group_writable_token_file_is_refused_before_any_request(self):
        path = self.token_file(pod_token(NODE_AGENT), mode=0o664)
        line = self.assert_failure(self.invoke(self.token_config(path)))
        self.assertIn(str(path), line)
        self.assertIn("writable by group or others", line)
        self.assert_no_network()


class CloudTest(IdentityTest):
    """Each cloud's authority host, ACR suffix and audience."""

    def assert_signs_in_at(self, cloud, authority, registry):
        password = self.assert_credentials(self.invoke(self.secret_config(cloud=cloud), registry),
                                           (registry,))
        entra, _ = self.assert_flow(TENANT, SECRET_CLIENT, registry, authority)
        self.assert_secret_form(entra, SECRET_CLIENT, SECRET)
        self.assertEqual(self.fake.connects(), [f"{authority}:443", f"{registry}:443"])
        self.assert_password_accepted(password, registry)

    def test_china_cloud_signs_in_at_its_authority_for_its_registries(self):
        self.assert_signs_in_at("AzureChinaCloud", "login.chinacloudapi.cn", CHINA_REGISTRY)

    def test_china_cloud_gives_public_cloud_registries_nothing(self):
        self.assert_no_credentials(self.invoke(self.secret_config(cloud="AzureChinaCloud"),
                                               REGISTRY))

    def test_us_government_cloud_signs_in_at_its_authority_for_its_registries(self):
        self.assert_signs_in_at("AzureUSGovernmentCloud", "login.microsoftonline.us",
                                US_GOV_REGISTRY)

    def test_us_government_cloud_gives_public_cloud_registries_nothing(self):
        self.assert_no_credentials(self.invoke(self.secret_config(cloud="AzureUSGovernmentCloud"),
                                               REGISTRY))

    def custom_cloud_config(self):
        return self.secret_config(cloud="AzureCustomCloud",
                                  authorityHost=f"https://localhost:{self.fake.ports['tls']}",
                                  acrSuffix="azurecr.us", audience=CUSTOM_AUDIENCE)

    def custom_cloud_env(self):
        """The authority directly (NO_PROXY), the registry through the proxy."""
        return {"NO_PROXY": "localhost"}

    def test_custom_cloud_uses_its_authority_suffix_and_audience(self):
        result = self.invoke(self.custom_cloud_config(), US_GOV_REGISTRY,
                             env=self.custom_cloud_env())
        password = self.assert_credentials(result, (US_GOV_REGISTRY,))
        entra, exchange = self.assert_flow(TENANT, SECRET_CLIENT, US_GOV_REGISTRY,
                                           f"localhost:{self.fake.ports['tls']}", CUSTOM_AUDIENCE)
        self.assert_secret_form(entra, SECRET_CLIENT, SECRET, CUSTOM_AUDIENCE)
        self.assertEqual((entra["via_proxy"], exchange["via_proxy"]), (False, True))
        self.assertEqual(self.fake.connects(), [f"{US_GOV_REGISTRY}:443"])
        self.assert_password_accepted(password, US_GOV_REGISTRY)

    def test_custom_cloud_gives_other_suffixes_nothing(self):
        self.assert_no_credentials(self.invoke(self.custom_cloud_config(), REGISTRY,
                                               env=self.custom_cloud_env()))


class RegistryMappingTest(IdentityTest):
    """`identities` maps registries to other apps; `mirrors` maps registries to an ACR."""

    def two_tenant_config(self):
        """Tenant A's app for everything but otheracr, which tenant B's app pulls from."""
        return self.secret_config(identities=[{
            "registries": [OTHER_REGISTRY], "tenantId": TENANT_B, "clientId": CLIENT_B,
            "clientSecretFile": str(self.secret_file(SECRET_B))}])

    def test_unmapped_registry_uses_the_top_level_identity(self):
        self.assert_credentials(self.invoke(self.two_tenant_config(), REGISTRY))
        entra, _ = self.assert_flow(TENANT, SECRET_CLIENT, REGISTRY)
        self.assert_secret_form(entra, SECRET_CLIENT, SECRET)

    def test_mapped_registry_uses_its_own_tenant_and_secret(self):
        result = self.invoke(self.two_tenant_config(), OTHER_REGISTRY)
        password = self.assert_credentials(result, (OTHER_REGISTRY,))
        entra, _ = self.assert_flow(TENANT_B, CLIENT_B, OTHER_REGISTRY)
        self.assert_secret_form(entra, CLIENT_B, SECRET_B)
        self.assert_password_accepted(password, OTHER_REGISTRY)

    def test_mirror_with_a_port_is_served_by_its_acr(self):
        config = self.secret_config(mirrors={MIRROR: REGISTRY})
        password = self.assert_credentials(self.invoke(config, MIRROR), (REGISTRY, MIRROR))
        entra, _ = self.assert_flow(TENANT, SECRET_CLIENT, REGISTRY)
        self.assert_secret_form(entra, SECRET_CLIENT, SECRET)
        self.assertEqual(self.fake.connects(), [f"{PUBLIC_AUTHORITY}:443", f"{REGISTRY}:443"])
        self.assert_password_accepted(password)


if __name__ == "__main__":
    unittest.main()
