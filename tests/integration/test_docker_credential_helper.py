#!/usr/bin/python3
"""The Docker credential helper front end (docker-credential-acr), end to end against the fakes.

The binary runs as `docker-credential-acr` (a link, as the package installs it) and as
`acr-credential-provider docker-credential ACTION`, reaching the real host names through the
fake's CONNECT proxy. Covers the protocol (get, store, erase, list, version, usage), where the
config and cache are found, and that a non-root user gets a cache of its own. Needs
$ACRCP_BINARY. Real clients (skopeo) using the helper are in tests/e2e.
"""

import json
import os
import stat
import subprocess

from harness import NULL_GUID, IntegrationTestCase, plugin_binary, plugin_env, summary

TENANT = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
CLIENT = "6d7e8f9a-0b1c-4d2e-9f3a-4b5c6d7e8f9a"
SECRET = "Hd4Q~docker.Lp_6Vb-3nMzXc8qW1eR5tY9uI2oPa"
REGISTRY = "myacr.azurecr.io"
NOT_FOUND = "credentials not found in native keychain\n"
NOBODY = 65534  # Debian's nobody/nogroup: a user that is not root

SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]}}}},
    "registries": {REGISTRY: {"acrpull": [CLIENT]}},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}
COLD = [("entra", 200), ("exchange", 200)]


class DockerCredentialHelperTest(IntegrationTestCase):
    scenario = SCENARIO

    def setUp(self):
        super().setUp()
        self.bin_dir = self.new_dir("bin-")
        os.chmod(self.bin_dir, 0o755)
        self.helper = self.bin_dir / "docker-credential-acr"
        self.helper.symlink_to(plugin_binary())
        self.cache_dir = self.new_dir("cache-")
        self.config_path = self.write_config(self.config())

    def config(self, **extra):
        return {"tenantId": TENANT, "clientId": CLIENT,
                "clientSecretFile": str(self.secret_file(SECRET)), "caBundleFile": self.fake.ca,
                "cacheDir": str(self.cache_dir), **extra}

    def env(self, **extra):
        return {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}",
                "ACR_CREDENTIAL_PROVIDER_CONFIG": str(self.config_path), **extra}

    def run_helper(self, *args, stdin="", env=None, argv=None, user=None):
        """Run the helper; returns the result with stdout/stderr as text, checked for leaks."""
        command = argv or [str(self.helper), *args]
        result = subprocess.run(command, input=stdin.encode(), capture_output=True, timeout=60,
                                env=plugin_env(self.env() if env is None else env),
                                cwd="/", user=user, group=user)
        return self.checked_result(result)

    def assert_credentials(self, result, server_url):
        """Exit 0 and exactly the protocol's JSON for `server_url`; returns the secret."""
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertTrue(result.stdout.endswith("}\n"))
        answer = json.loads(result.stdout)
        self.assertEqual(list(answer), ["ServerURL", "Username", "Secret"])
        self.assertEqual(answer["ServerURL"], server_url)
        self.assertEqual(answer["Username"], NULL_GUID)
        self.assertEqual(result.stderr, "")
        return answer["Secret"]

    # ---------------------------------------------------------------- get

    def test_get_returns_a_token_the_registry_accepts_and_then_serves_it_from_the_cache(self):
        secret = self.assert_credentials(self.run_helper("get", stdin=f"{REGISTRY}\n"), REGISTRY)
        self.assertEqual(summary(self.fake.requests()), COLD)
        self.assertEqual(self.fake.connects(),
                         ["login.microsoftonline.com:443", f"{REGISTRY}:443"])
        status, body = self.fake.pull_token(REGISTRY, "team/app", secret)
        self.assertEqual(status, 200, body)
        self.assertIn("access_token", body)
        self.fake.reset()
        again = self.run_helper("get", stdin=f"https://{REGISTRY}/v2/")
        self.assertEqual(self.assert_credentials(again, f"https://{REGISTRY}/v2/"), secret)
        self.assertEqual(self.fake.requests(), [])

    def test_subcommand_speaks_the_same_protocol(self):
        result = self.run_helper(stdin=REGISTRY,
                                 argv=[plugin_binary(), "docker-credential", "get"])
        self.assert_credentials(result, REGISTRY)

    def test_kubelet_plugin_and_helper_share_the_cache(self):
        secret = self.assert_credentials(self.run_helper("get", stdin=REGISTRY), REGISTRY)
        self.fake.reset()
        kubelet = self.run_plugin(
            ["--config", str(self.config_path)],
            {"kind": "CredentialProviderRequest",
             "apiVersion": "credentialprovider.kubelet.k8s.io/v1", "image": f"{REGISTRY}/a:1"},
            env=self.env())
        self.assertEqual(self.assert_success(kubelet)["auth"][REGISTRY]["password"], secret)
        self.assertEqual(self.fake.requests(), [])

    def test_servers_that_get_no_acr_token_are_not_found_without_any_request(self):
        for server in ("https://index.docker.io/v1/", "ghcr.io", "myacr.azurecr.io.evil.test",
                       "evil-azurecr.io", "localhost:5000"):
            with self.subTest(server):
                result = self.run_helper("get", stdin=server)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stdout, NOT_FOUND)
        self.assertEqual(self.fake.requests(), [])
        self.assertEqual(self.fake.connects(), [])

    def test_failure_is_one_line_on_stdout(self):
        self.config_path = self.write_config(self.config(clientId="0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a"))
        result = self.run_helper("get", stdin=REGISTRY)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stdout.splitlines()), 1, result.stdout)
        self.assertIn("AADSTS700016", result.stdout)
        self.assertEqual(result.stderr, "")

    def test_missing_config_named_by_the_variable_is_reported(self):
        result = self.run_helper("get", stdin=REGISTRY,
                                 env=self.env(ACR_CREDENTIAL_PROVIDER_CONFIG="/nonexistent.json"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent.json", result.stdout)
        self.assertEqual(self.fake.requests(), [])

    # ---------------------------------------------------------------- other actions

    def test_store_is_refused_and_stores_nothing(self):
        stored = json.dumps({"ServerURL": REGISTRY, "Username": "admin", "Secret": "pa55-w0rd-x"})
        self.secrets.add("pa55-w0rd-x")
        result = self.run_helper("store", stdin=stored)
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot be stored", result.stdout)
        self.assertEqual(list(self.cache_dir.iterdir()), [])
        missing = self.run_helper("store", stdin=json.dumps({"Username": "u", "Secret": "s"}))
        self.assertEqual((missing.returncode, missing.stdout), (1, "no credentials server URL\n"))

    def test_erase_makes_the_next_get_fetch_a_new_token(self):
        first = self.assert_credentials(self.run_helper("get", stdin=REGISTRY), REGISTRY)
        erased = self.run_helper("erase", stdin=REGISTRY)
        self.assertEqual((erased.returncode, erased.stdout), (0, ""))
        self.assertEqual(list(self.cache_dir.glob("*.json")), [])
        self.fake.reset()
        second = self.assert_credentials(self.run_helper("get", stdin=REGISTRY), REGISTRY)
        self.assertNotEqual(second, first)
        self.assertEqual(summary(self.fake.requests()), COLD)

    def test_list_names_configured_registries_and_does_not_read_stdin(self):
        self.config_path = self.write_config(self.config(registries=["registry.example.com"]))
        # stdin is left open and empty-handed: reading it would hang until the timeout.
        result = subprocess.run([str(self.helper), "list"], stdin=subprocess.PIPE,
                                capture_output=True, timeout=20, env=plugin_env(self.env()))
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertEqual(json.loads(result.stdout), {"registry.example.com": NULL_GUID})

    def test_version_and_usage(self):
        version = self.run_helper("version")
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout,
                         r"^docker-credential-acr \(acr-credential-provider\) \d+\.\d+\.\d+\n$")
        for args in ((), ("get", "extra")):
            with self.subTest(args=args):
                usage = self.run_helper(*args)
                self.assertEqual(usage.returncode, 1)
                self.assertIn("Usage: docker-credential-acr", usage.stdout)

    # ---------------------------------------------------------------- where things live

    def test_config_is_found_in_the_users_config_dir(self):
        home = self.new_dir("home-")
        user_config = home / ".config" / "acr-credential-provider" / "config.json"
        user_config.parent.mkdir(parents=True)
        user_config.write_text(self.config_path.read_text())
        os.chmod(user_config, 0o600)
        env = self.env(HOME=str(home))
        del env["ACR_CREDENTIAL_PROVIDER_CONFIG"]
        self.assert_credentials(self.run_helper("get", stdin=REGISTRY, env=env), REGISTRY)

    def test_non_root_user_caches_in_its_runtime_dir(self):
        """As nobody, with the default cacheDir (root's /run/acr-credential-provider)."""
        home = self.new_dir("home-")
        runtime = self.new_dir("runtime-")
        secret_file = self.new_dir("secret-") / "client-secret"
        secret_file.write_text(SECRET)
        config_file = home / "config.json"
        config_file.write_text(json.dumps({
            "tenantId": TENANT, "clientId": CLIENT, "clientSecretFile": str(secret_file),
            "caBundleFile": self.fake.ca}))
        for path, mode in ((home, 0o700), (runtime, 0o700), (secret_file.parent, 0o700),
                           (secret_file, 0o600), (config_file, 0o600)):
            os.chown(path, NOBODY, NOBODY)
            os.chmod(path, mode)
        os.chmod(self.workdir, 0o755)  # let nobody reach its directories inside
        env = self.env(ACR_CREDENTIAL_PROVIDER_CONFIG=str(config_file),
                       XDG_RUNTIME_DIR=str(runtime), HOME=str(home))
        secret = self.assert_credentials(
            self.run_helper("get", stdin=REGISTRY, env=env, user=NOBODY), REGISTRY)
        cache = runtime / "acr-credential-provider"
        info = os.stat(cache)
        self.assertEqual((info.st_uid, stat.S_IMODE(info.st_mode)), (NOBODY, 0o700))
        entries = list(cache.glob("acr-*.json"))
        self.assertEqual(len(entries), 1)
        self.assertEqual(json.loads(entries[0].read_text())["token"], secret)
        self.assertFalse(os.path.exists("/run/acr-credential-provider/" + entries[0].name))
        self.fake.reset()
        self.assert_credentials(self.run_helper("get", stdin=REGISTRY, env=env, user=NOBODY),
                                REGISTRY)
        self.assertEqual(self.fake.requests(), [])
