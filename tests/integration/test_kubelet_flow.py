#!/usr/bin/python3
"""The kubelet exec-plugin contract of acr-credential-provider, end to end against the fakes.

Two ways of reaching the fake services:
  direct  authorityHost https://localhost:<tls>, registry localhost:<tls> allow-listed by config
  proxy   the real host names (login.microsoftonline.com, myacr.azurecr.io) through the fake's
          CONNECT proxy via HTTPS_PROXY, as on a node behind a corporate proxy
Every test asserts the exact requests the fakes saw. Needs $ACRCP_BINARY.
"""

import time
import unittest
from pathlib import Path

from harness import (API_VERSIONS, NULL_GUID, IntegrationTestCase, go_duration_seconds,
                     jwt_claims, request, summary)

TENANT = "5b8e1c3d-2f4a-4b6c-8d9e-0a1b2c3d4e5f"
OTHER_TENANT = "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"
CLIENT = "7a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
CLIENT_WITHOUT_ACRPULL = "8c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
UNKNOWN_CLIENT = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
SECRET = "Zq8Q~k3.Hv_9Tb-2mNwYc4rE7uA1sD6fG0hJ5pXl"   # the shape of a real Entra secret
RESERVED_CHARS_SECRET = "a+b/c=d&e%f g~h.i"          # must survive form encoding
EXPIRED_SECRET = "Wd3Q~old.Pq_1Lm-8nBvCx2zAs4dF6gH8jK0lMn"
NO_ACRPULL_SECRET = "Rt5Q~noacr.Yh_3Gf-6dSa9wQe1rT4yU7iO0pLk"
ACR_SCOPE = "https://containerregistry.azure.net/.default"
V1 = API_VERSIONS[0]
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

SCENARIO = {
    "tenants": {
        TENANT: {
            "aliases": ["contoso.onmicrosoft.com"],
            "apps": {
                CLIENT: {"secrets": [SECRET, RESERVED_CHARS_SECRET],
                         "expired_secrets": [EXPIRED_SECRET]},
                CLIENT_WITHOUT_ACRPULL: {"secrets": [NO_ACRPULL_SECRET]},
            },
        },
        OTHER_TENANT: {"apps": {}},
    },
    "registries": {
        "myacr.azurecr.io": {"acrpull": [CLIENT]},
        "localhost:{tls}": {"acrpull": [CLIENT]},
    },
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}


class KubeletFlowTest(IntegrationTestCase):
    """Shared plumbing; subclasses say how the plugin reaches the fakes (and hold the tests)."""

    scenario = SCENARIO

    def login_server(self):
        raise NotImplementedError

    def entra_host(self):
        raise NotImplementedError

    def setup_config(self):
        """Config keys specific to how this class reaches the fakes."""
        raise NotImplementedError

    def setup_env(self):
        return {}

    def image(self):
        return f"{self.login_server()}/team/app"

    def config(self, **changes):
        """A working node config with a fresh secret file and cache dir; a None value drops a key."""
        config = {
            "tenantId": TENANT,
            "clientId": CLIENT,
            "clientSecretFile": str(self.secret_file(SECRET)),
            "caBundleFile": self.fake.ca,
            "cacheDir": str(self.new_dir("cache-")),
            **self.setup_config(),
        }
        for key, value in changes.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        return config

    def invoke(self, config=None, image=None, api_version=V1, env=None):
        path = self.write_config(self.config() if config is None else config)
        return self.run_plugin(["--config", str(path)], request(api_version, image or self.image()),
                               env={**self.setup_env(), **(env or {})})

    def assert_cold_flow(self, client_secret=SECRET):
        """Exactly: Entra client_credentials token, then the ACR exchange with that token."""
        requests = self.fake.requests()
        self.assertEqual(
            [(r["endpoint"], r["method"], r["host"], r["path"], r["status"]) for r in requests],
            [("entra", "POST", self.entra_host(), f"/{TENANT}/oauth2/v2.0/token", 200),
             ("exchange", "POST", self.login_server(), "/oauth2/exchange", 200)])
        entra, exchange = requests
        self.assertEqual(entra["form"], {"grant_type": "client_credentials", "client_id": CLIENT,
                                         "client_secret": client_secret, "scope": ACR_SCOPE})
        self.assertEqual(exchange["form"], {"grant_type": "access_token",
                                            "service": self.login_server(), "tenant": TENANT,
                                            "access_token": exchange["form"].get("access_token")})
        # The fake accepted it (200), so it is the token the single Entra request issued.
        access_token = jwt_claims(exchange["form"]["access_token"])
        self.assertEqual((access_token["appid"], access_token["tid"]), (CLIENT, TENANT))
        for r in requests:
            self.assertEqual(r["headers"].get("content-type"), FORM_CONTENT_TYPE)
        return requests

    def assert_acr_response(self, result, api_version=V1):
        """The full CredentialProviderResponse for this class's login server; returns it."""
        response = self.assert_success(result)
        self.assertEqual(set(response), {"apiVersion", "kind", "cacheKeyType", "cacheDuration", "auth"})
        self.assertEqual(response["apiVersion"], api_version)
        self.assertEqual(response["kind"], "CredentialProviderResponse")
        self.assertEqual(response["cacheKeyType"], "Registry")
        go_duration_seconds(response["cacheDuration"])
        self.assertEqual(list(response["auth"]), [self.login_server()])
        entry = response["auth"][self.login_server()]
        self.assertEqual(set(entry), {"username", "password"})
        self.assertEqual(entry["username"], NULL_GUID)
        claims = jwt_claims(entry["password"])
        self.assertEqual((claims["aud"], claims["grant_type"]), (self.login_server(), "refresh_token"))
        return response

    def assert_password_accepted(self, response):
        """A container runtime's next step: trade the password for a pull token, as containerd does."""
        password = response["auth"][self.login_server()]["password"]
        status, body = self.fake.pull_token(self.login_server(), "team/app", password)
        self.assertEqual(status, 200, body)
        self.assertIn("access_token", body)

    def assert_no_network(self):
        self.assertEqual(self.fake.requests(), [])
        self.assertEqual(self.fake.connects(), [])


class DirectFlowTest(KubeletFlowTest):
    """authorityHost and an allow-listed registry on https://localhost:<tls>."""

    def login_server(self):
        return f"localhost:{self.fake.ports['tls']}"

    def entra_host(self):
        return self.login_server()

    def setup_config(self):
        return {"authorityHost": f"https://localhost:{self.fake.ports['tls']}",
                "registries": [self.login_server()]}

    # ---------------------------------------------------------------- success

    def test_cold_invocation_requests_entra_token_then_exchange(self):
        self.assert_acr_response(self.invoke())
        self.assert_cold_flow()

    def test_response_cache_duration_defaults_to_one_hour(self):
        response = self.assert_acr_response(self.invoke())
        self.assertEqual(response["cacheDuration"], "1h0m0s")

    def test_cache_duration_is_half_the_token_lifetime_below_a_large_maximum(self):
        response = self.assert_acr_response(self.invoke(self.config(maxCacheDurationSeconds=86400)))
        self.assertGreaterEqual(go_duration_seconds(response["cacheDuration"]), 5390)
        self.assertLessEqual(go_duration_seconds(response["cacheDuration"]), 5400)

    def test_password_is_accepted_by_the_registry_token_endpoint(self):
        self.assert_password_accepted(self.assert_acr_response(self.invoke()))

    def test_every_api_version_is_accepted_and_echoed(self):
        for api_version in API_VERSIONS:
            with self.subTest(api_version=api_version):
                self.fake.reset()
                self.assert_acr_response(self.invoke(api_version=api_version), api_version)
                self.assert_cold_flow()

    def test_config_path_may_be_given_as_positional_argument(self):
        path = self.write_config(self.config())
        self.assert_acr_response(self.run_plugin([str(path)], request(V1, self.image())))
        self.assert_cold_flow()

    def test_version_flag_prints_name_and_exits_zero(self):
        result = self.run_plugin(["--version"], b"")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith("acr-credential-provider "), result.stdout)
        self.assert_no_network()

    def test_verbose_logs_go_to_stderr_and_never_show_tokens(self):
        path = self.write_config(self.config())
        result = self.run_plugin(["-v", "4", "--config", str(path)], request(V1, self.image()))
        response = self.assert_acr_response(result)
        self.assertNotEqual(result.stderr, "")
        _, exchange = self.assert_cold_flow()
        self.assertNotIn(exchange["form"]["access_token"], result.stderr)
        self.assertNotIn(response["auth"][self.login_server()]["password"], result.stderr)

    def test_secret_with_reserved_characters_is_form_encoded(self):
        config = self.config(clientSecretFile=str(self.secret_file(RESERVED_CHARS_SECRET)))
        self.assert_acr_response(self.invoke(config))
        self.assert_cold_flow(client_secret=RESERVED_CHARS_SECRET)

    def test_upstream_azure_json_keys_are_accepted(self):
        config = self.config(clientId=None, clientSecretFile=None, aadClientId=CLIENT,
                             aadClientSecret=SECRET, useManagedIdentityExtension=False,
                             subscriptionId="00000000-1111-2222-3333-444444444444",
                             resourceGroup="rg", location="westeurope")
        self.assert_acr_response(self.invoke(config))
        self.assert_cold_flow()

    def test_identity_from_azure_sdk_environment_variables(self):
        config = self.config(tenantId=None, clientId=None, clientSecretFile=None, authorityHost=None)
        env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_CLIENT_SECRET": SECRET,
               "AZURE_AUTHORITY_HOST": f"https://localhost:{self.fake.ports['tls']}"}
        self.assert_acr_response(self.invoke(config, env=env))
        self.assert_cold_flow()

    # ---------------------------------------------------------------- Entra and ACR refusals

    def test_wrong_secret_is_reported_and_not_retried(self):
        config = self.config(clientSecretFile=str(self.secret_file("Xy1Q~not.the_right-secret")))
        line = self.assert_failure(self.invoke(config))
        self.assertIn("AADSTS7000215", line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 401)])

    def test_expired_secret_is_reported(self):
        config = self.config(clientSecretFile=str(self.secret_file(EXPIRED_SECRET)))
        self.assertIn("AADSTS7000222", self.assert_failure(self.invoke(config)))
        self.assertEqual(summary(self.fake.requests()), [("entra", 401)])

    def test_unknown_client_is_reported(self):
        line = self.assert_failure(self.invoke(self.config(clientId=UNKNOWN_CLIENT)))
        self.assertIn("AADSTS700016", line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 400)])

    def test_unknown_tenant_is_reported(self):
        unknown_tenant = "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c"
        line = self.assert_failure(self.invoke(self.config(tenantId=unknown_tenant)))
        self.assertIn("AADSTS90002", line)
        self.assertEqual([(r["path"], r["status"]) for r in self.fake.requests()],
                         [(f"/{unknown_tenant}/oauth2/v2.0/token", 400)])

    def test_principal_without_acrpull_gets_role_assignment_hint(self):
        config = self.config(clientId=CLIENT_WITHOUT_ACRPULL,
                             clientSecretFile=str(self.secret_file(NO_ACRPULL_SECRET)))
        line = self.assert_failure(self.invoke(config))
        self.assertIn("AcrPull", line)
        self.assertIn("az role assignment create", line)
        self.assertEqual(summary(self.fake.requests()), [("entra", 200), ("exchange", 401)])

    # ---------------------------------------------------------------- local refusals

    def test_group_readable_secret_file_is_refused_before_any_request(self):
        secret_path = self.secret_file(SECRET, mode=0o644)
        line = self.assert_failure(self.invoke(self.config(clientSecretFile=str(secret_path))))
        self.assertIn(str(secret_path), line)
        self.assertIn("chmod 600", line)
        self.assert_no_network()

    def test_unknown_config_key_is_named(self):
        line = self.assert_failure(self.invoke(self.config(clientSecretFiel="/typo")))
        self.assertIn("clientSecretFiel", line)
        self.assert_no_network()

    def test_malformed_stdin_is_reported(self):
        cases = {
            "not JSON": (b"this is not json\n", "stdin"),
            "wrong kind": (b'{"kind":"CredentialProviderResponse","apiVersion":"%s",'
                           b'"image":"x.azurecr.io/a"}\n' % V1.encode(), "kind"),
            "missing image": (b'{"kind":"CredentialProviderRequest","apiVersion":"%s"}\n'
                              % V1.encode(), "image"),
            "over 1 MiB": (b'{"kind":"CredentialProviderRequest","apiVersion":"%s","image":"'
                           % V1.encode() + b"a" * (1 << 20) + b'"}\n', "stdin"),
        }
        path = self.write_config(self.config())
        for name, (stdin, mentioned) in cases.items():
            with self.subTest(name):
                line = self.assert_failure(self.run_plugin(["--config", str(path)], stdin))
                self.assertIn(mentioned, line)
                self.assert_no_network()

    def test_tls_without_ca_bundle_fails_certificate_verification(self):
        line = self.assert_failure(self.invoke(self.config(caBundleFile=None)))
        self.assertIn("certificate", line.lower())
        self.assertEqual(self.fake.requests(), [])  # the handshake failed: nothing was sent

    def test_ca_bundle_is_checked_where_it_is_opened(self):
        """caBundleFile is checked by the HTTPS helper that reads it, not by config parsing."""
        missing = "/nonexistent/acr-credential-provider/ca.pem"
        line = self.assert_failure(self.invoke(self.config(caBundleFile=missing)))
        self.assertIn(f"caBundleFile {missing}: no such file", line)
        self.assert_no_network()

        writable = self.new_dir("ca-") / "ca.pem"
        writable.write_bytes(Path(self.fake.ca).read_bytes())
        writable.chmod(0o664)
        line = self.assert_failure(self.invoke(self.config(caBundleFile=str(writable))))
        self.assertIn(f"chmod go-w {writable}", line)
        self.assert_no_network()

        # A hit needs no TLS, so it does not depend on the bundle.
        config = self.config()
        self.assert_acr_response(self.invoke(config))
        self.fake.reset()
        self.assert_acr_response(self.invoke({**config, "caBundleFile": missing}))
        self.assert_no_network()

    # ---------------------------------------------------------------- retries

    def test_entra_throttling_is_retried_after_retry_after(self):
        self.fake.faults("entra", [{"status": 429, "headers": {"Retry-After": "1"},
                                    "body": {"error": "temporarily_unavailable"}}])
        self.assert_acr_response(self.invoke())
        requests = self.fake.requests()
        self.assertEqual(summary(requests), [("entra", 429), ("entra", 200), ("exchange", 200)])
        self.assertGreaterEqual(requests[1]["t"] - requests[0]["t"], 0.9)

    def test_entra_outage_fails_within_the_time_budget(self):
        self.fake.faults("entra", [{"status": 503}], always=True)
        started = time.monotonic()
        line = self.assert_failure(self.invoke(self.config(timeoutSeconds=3)))
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn("503", line)
        endpoints = [r["endpoint"] for r in self.fake.requests()]
        self.assertGreaterEqual(endpoints.count("entra"), 2)
        self.assertEqual(endpoints.count("exchange"), 0)

    def test_redirects_are_not_followed(self):
        # Following it would replay the Entra token (or, at Entra, the secret) to another URL.
        elsewhere = f"https://localhost:{self.fake.ports['tls']}/oauth2/token"
        for endpoint in ("entra", "exchange"):
            with self.subTest(endpoint):
                self.fake.reset()
                self.fake.faults(endpoint, [{"status": 307, "headers": {"Location": elsewhere}}])
                line = self.assert_failure(self.invoke())
                self.assertIn("307", line)
                requests = summary(self.fake.requests())
                self.assertEqual(requests[-1], (endpoint, 307))
                self.assertNotIn("token", [endpoint for endpoint, _ in requests])

    def test_exchange_connection_reset_is_retried(self):
        self.fake.faults("exchange", [{"action": "reset"}])
        self.assert_acr_response(self.invoke())
        self.assertEqual(summary(self.fake.requests()),
                         [("entra", 200), ("exchange", "reset"), ("exchange", 200)])


class ProxyFlowTest(KubeletFlowTest):
    """Real Azure host names, reached through the fake's CONNECT proxy via HTTPS_PROXY."""

    def login_server(self):
        return "myacr.azurecr.io"

    def entra_host(self):
        return "login.microsoftonline.com"

    def setup_config(self):
        return {}

    def setup_env(self):
        return {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"}

    def test_cold_invocation_uses_real_host_names_through_the_proxy(self):
        self.assert_acr_response(self.invoke())
        requests = self.assert_cold_flow()
        self.assertEqual(self.fake.connects(), ["login.microsoftonline.com:443", "myacr.azurecr.io:443"])
        self.assertTrue(all(r["via_proxy"] for r in requests))

    def test_password_is_accepted_by_the_registry_token_endpoint(self):
        self.assert_password_accepted(self.assert_acr_response(self.invoke()))

    def test_a_kubelet_config_written_for_the_upstream_plugin_works_unchanged(self):
        """The `args` of kubernetes-sigs/cloud-provider-azure's example kubelet config: the
        azure.json path as the argument, its mirror flag, klog flags."""
        azure_json = self.write_config(self.config(
            clientId=None, clientSecretFile=None, aadClientId=CLIENT, aadClientSecret=SECRET,
            useManagedIdentityExtension=False, subscriptionId="00000000-1111-2222-3333-444444444444",
            cloud="AzurePublicCloud"))
        args = [str(azure_json), "--registry-mirror=mcr.microsoft.com:myacr.azurecr.io", "--v=2",
                "--logtostderr", "--log-file", "/var/log/not-written.log"]
        result = self.run_plugin(args, request(V1, "mcr.microsoft.com/oss/nginx"), self.setup_env())
        response = self.assert_success(result)
        self.assertEqual(sorted(response["auth"]), ["mcr.microsoft.com", "myacr.azurecr.io"])
        self.assertEqual(response["auth"]["mcr.microsoft.com"], response["auth"]["myacr.azurecr.io"])
        self.assertEqual([(r["endpoint"], r["host"], r["status"]) for r in self.fake.requests()],
                         [("entra", "login.microsoftonline.com", 200),
                          ("exchange", "myacr.azurecr.io", 200)])
        self.assertFalse(Path("/var/log/not-written.log").exists())

    def test_non_acr_images_get_empty_auth_without_any_request(self):
        for image in ("docker.io/library/nginx", "myacr.azurecr.io.evil.test/x",
                      "evil.com/myacr.azurecr.io/x"):
            with self.subTest(image=image):
                response = self.assert_success(self.invoke(image=image))
                self.assertEqual(response, {"apiVersion": V1, "kind": "CredentialProviderResponse",
                                            "cacheKeyType": "Registry", "cacheDuration": "0s",
                                            "auth": {}})
                self.assert_no_network()


if __name__ == "__main__":
    unittest.main()
