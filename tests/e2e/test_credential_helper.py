#!/usr/bin/python3
"""The same binary as a Docker credential helper (docker-credential-acr): skopeo, told by a
containers auth file to ask it for myacr.azurecr.io, gets an ACR refresh token with no
credentials on its command line and pulls from the real registry with it. Needs $ACRCP_BINARY.
"""

import json
import subprocess
import unittest

from e2e_case import (CLIENT, IMAGE, LOGIN_SERVER, NULL_GUID, RegistryTestCase,
                      basic_credentials)
from harness import CLEAN_PATH, jwt_claims, plugin_binary, plugin_env, write_secret

HELPER = "docker-credential-acr"


class CredentialHelperTest(RegistryTestCase):
    def setUp(self):
        super().setUp()
        bin_dir = self.new_dir("bin-")
        (bin_dir / HELPER).symlink_to(plugin_binary())
        # What the helper needs, on top of the proxy every client here is given.
        self.helper_env = {"PATH": f"{bin_dir}:{CLEAN_PATH}",
                           "ACR_CREDENTIAL_PROVIDER_CONFIG": str(self.plugin_config())}
        self.auth_json = write_secret(self.new_dir("auth-") / "auth.json",
                                      json.dumps({"credHelpers": {LOGIN_SERVER: "acr"}}))

    def assert_helper_flow(self):
        """The helper exchanged an Entra token for a refresh token, and that token, as the
        null GUID's password, got the access token the registry then served the image for."""
        requests = self.fake.requests()
        self.assertEqual([(r["endpoint"], r["status"]) for r in requests[:2]],
                         [("entra", 200), ("exchange", 200)])
        tokens = [r for r in requests if r["endpoint"] == "token"]
        self.assertNotEqual(tokens, [])
        for token in tokens:
            self.assertEqual((token["method"], token["status"]), ("GET", 200))
            username, password = basic_credentials(token)
            self.assertEqual((username, jwt_claims(password)["sub"]), (NULL_GUID, CLIENT))
        self.assertIn(("v2", 200), [(r["endpoint"], r["status"]) for r in requests[2:]])
        self.assertTrue(all(r["via_proxy"] for r in requests))

    def assert_inspected(self, result):
        self.assert_no_secret_leak(result)
        self.assertEqual(result.returncode, 0, self.registry_failure(result))
        self.assertEqual(json.loads(result.stdout)["Digest"], self.image.manifest_digest)
        self.assert_helper_flow()

    def test_get_answers_with_an_acr_refresh_token(self):
        # Clients write the server URL with no newline (docker-credential-helpers' client).
        result = self.checked_result(subprocess.run(
            [HELPER, "get"], input=LOGIN_SERVER.encode(), capture_output=True, timeout=60,
            env=plugin_env({**self.helper_env, **self.proxy_env()})))
        self.assertEqual(result.returncode, 0, f"stdout: {result.stdout} stderr: {result.stderr}")
        answer = json.loads(result.stdout)
        self.assertEqual(set(answer), {"ServerURL", "Username", "Secret"})
        self.assertEqual((answer["ServerURL"], answer["Username"]), (LOGIN_SERVER, NULL_GUID))
        claims = jwt_claims(answer["Secret"])
        self.assertEqual((claims["aud"], claims["grant_type"], claims["sub"]),
                         (LOGIN_SERVER, "refresh_token", CLIENT))
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.fake.requests()],
                         [("entra", 200), ("exchange", 200)])

    def test_skopeo_inspect_uses_the_helper_named_by_authfile(self):
        self.assert_inspected(self.skopeo("inspect", "--authfile", str(self.auth_json), "--cert-dir",
                                          str(self.cert_dir), f"docker://{IMAGE}",
                                          env=self.helper_env))

    def test_skopeo_inspect_uses_the_helper_named_by_registry_auth_file(self):
        self.assert_inspected(self.skopeo("inspect", "--cert-dir", str(self.cert_dir),
                                          f"docker://{IMAGE}",
                                          env={**self.helper_env,
                                               "REGISTRY_AUTH_FILE": str(self.auth_json)}))


if __name__ == "__main__":
    unittest.main()
