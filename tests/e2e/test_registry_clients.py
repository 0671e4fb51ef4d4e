#!/usr/bin/python3
"""skopeo, a real registry client, pulls a real image from a real registry (docker-registry)
with the credentials the plugin hands the kubelet; forged, expired and pull-only credentials
are refused where a real registry flow refuses them. Needs $ACRCP_BINARY.
"""

import json
import unittest

from e2e_case import (CLIENT, CLIENT_WITHOUT_ACRPULL, IMAGE, LOGIN_SERVER, NO_ACRPULL_SECRET,
                      NULL_GUID, REPOSITORY, TAG, RegistryTestCase, basic_credentials)
from oci_image import digest


def tampered(token):
    """The token with one character in the middle of its signature changed."""
    header, claims, signature = token.split(".")
    middle = len(signature) // 2
    changed = "A" if signature[middle] != "A" else "B"
    return ".".join([header, claims, signature[:middle] + changed + signature[middle + 1:]])


class SkopeoPullTest(RegistryTestCase):
    def pull(self, username, password):
        """skopeo copy of the image into a fresh OCI layout; returns (CompletedProcess, layout)."""
        auth = self.auth_file(self.new_dir("auth-") / "auth.json", username, password)
        layout = self.new_dir("pulled-") / "layout"
        result = self.skopeo("copy", "--src-authfile", str(auth), "--src-cert-dir", str(self.cert_dir),
                             f"docker://{IMAGE}", f"oci:{layout}:{TAG}")
        return result, layout

    def assert_refused(self, password, reason):
        """skopeo cannot pull with `password`: the token service refuses it for `reason`, and
        the registry serves nothing."""
        self.fake.reset()
        result, _ = self.pull(NULL_GUID, password)
        self.assertNotEqual(result.returncode, 0, self.registry_failure(result))
        self.assertIn("invalid username/password: unauthorized: the refresh token is invalid: "
                      f"{reason}", result.stderr)
        requests = self.fake.requests()
        self.assertIn(("token", "GET", 401), [(r["endpoint"], r["method"], r["status"])
                                              for r in requests])
        self.assertEqual([r for r in requests if r["endpoint"] == "v2" and r["status"] == 200], [])

    def test_skopeo_pulls_the_image_with_the_plugins_credentials(self):
        username, password = self.plugin_credentials()
        self.fake.reset()  # from here on, only what skopeo does
        result, layout = self.pull(username, password)
        self.assertEqual(result.returncode, 0, self.registry_failure(result))

        index = json.loads((layout / "index.json").read_text())
        self.assertEqual([m["digest"] for m in index["manifests"]], [self.image.manifest_digest])
        # The config and the layer, byte for byte: each hashes to the digest of the one pushed.
        blobs = layout / "blobs" / "sha256"
        for pushed in (self.image.config_digest, self.image.layer_digest):
            self.assertEqual(digest((blobs / pushed.removeprefix("sha256:")).read_bytes()), pushed)

        requests = self.fake.requests()
        tokens = [r for r in requests if r["endpoint"] == "token"]
        self.assertNotEqual(tokens, [])
        for token in tokens:  # the refresh token as the password of the null GUID, nothing else
            self.assertEqual((token["method"], token["status"]), ("GET", 200))
            self.assertEqual(basic_credentials(token), (NULL_GUID, password))
            self.assertEqual((token["query"]["service"], token["query"]["scope"]),
                             (LOGIN_SERVER, f"repository:{REPOSITORY}:pull"))
        served = {(r["method"], r["path"]) for r in requests if r["endpoint"] == "v2"
                  and r["status"] == 200}
        self.assertIn(("GET", f"/v2/{REPOSITORY}/manifests/{TAG}"), served)
        self.assertIn(("GET", f"/v2/{REPOSITORY}/blobs/{self.image.layer_digest}"), served)
        self.assertTrue(all(r["via_proxy"] and r["host"] == LOGIN_SERVER for r in requests))
        self.assertEqual(set(self.fake.connects()), {f"{LOGIN_SERVER}:443"})

    def test_pull_credentials_cannot_push(self):
        username, password = self.plugin_credentials()
        self.fake.reset()
        auth = self.auth_file(self.new_dir("auth-") / "auth.json", username, password)
        result = self.skopeo("copy", "--dest-authfile", str(auth), "--dest-cert-dir",
                             str(self.cert_dir), f"oci:{self.image.layout}:{TAG}",
                             f"docker://{LOGIN_SERVER}/{REPOSITORY}:pushed-with-pull-credentials")
        self.assertNotEqual(result.returncode, 0, self.registry_failure(result))
        # The registry's own refusal: the token grants pull only, the manifest PUT needs push.
        self.assertIn("requested access to the resource is denied", result.stderr)
        writes = [r for r in self.fake.requests()
                  if r["endpoint"] == "v2" and r["method"] in ("POST", "PUT", "PATCH")]
        self.assertNotEqual(writes, [])
        self.assertEqual([r for r in writes if r["status"] < 400], [])  # the registry refused them

    def test_tampered_refresh_token_is_refused(self):
        _, password = self.plugin_credentials()
        self.assert_refused(tampered(password), "signature does not verify")

    def test_expired_refresh_token_is_refused(self):
        expired = self.fake.issue_refresh_token(LOGIN_SERVER, CLIENT, lifetime_seconds=-60)
        self.assert_refused(expired, "token is expired")

    def test_principal_without_acrpull_gets_no_credentials(self):
        result = self.run_kubelet_plugin(CLIENT_WITHOUT_ACRPULL, NO_ACRPULL_SECRET)
        line = self.assert_failure(result)  # exit 1, nothing on stdout, one line on stderr
        self.assertIn("AcrPull", line)
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.fake.requests()],
                         [("entra", 200), ("exchange", 401)])


if __name__ == "__main__":
    unittest.main()
