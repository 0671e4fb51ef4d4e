#!/usr/bin/python3
"""containerd, the runtime behind the kubelet, pulls and unpacks a real image from a real
registry (docker-registry) with the credentials the plugin hands the kubelet, through ACR's
token dance as containerd performs it. Needs $ACRCP_BINARY and root (containerd, mounts).
"""

import unittest

from containerd import SNAPSHOTTER, Containerd
from e2e_case import (IMAGE, LOGIN_SERVER, NULL_GUID, REPOSITORY, RegistryTestCase,
                      basic_credentials)
from oci_image import digest


class ContainerdPullTest(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.containerd = cls.enterClassContext(Containerd(cls.workdir / "containerd"))

    def failure(self, result):
        return f"{self.registry_failure(result)}\ncontainerd log:\n{self.containerd.log_tail()}"

    def test_ctr_pulls_and_unpacks_the_image_with_the_plugins_credentials(self):
        username, password = self.plugin_credentials()
        self.fake.reset()  # from here on, only what ctr and containerd do
        result = self.containerd.ctr_with_password(
            password, "images", "pull", "--snapshotter", SNAPSHOTTER, "--user", username,
            "--tlscacert", self.fake.ca, IMAGE, env=self.proxy_env())
        self.assertEqual(result.returncode, 0, self.failure(result))

        listed = self.containerd.ctr("images", "ls")
        self.assertEqual(listed.returncode, 0, self.failure(listed))
        self.assertIn(f"{IMAGE} ", listed.stdout)
        self.assertIn(self.image.manifest_digest, listed.stdout)
        # Unpacked by the native snapshotter: the layer's files, byte for byte (by digest, so
        # that a failure does not print a MiB).
        snapshots = self.containerd.root / f"io.containerd.snapshotter.v1.{SNAPSHOTTER}" / "snapshots"
        for name, content in self.image.files.items():
            unpacked = [digest(path.read_bytes()) for path in snapshots.glob(f"*/{name}")]
            self.assertEqual(unpacked, [digest(content)], name)

        requests = self.fake.requests()
        self.assertTrue(all(r["via_proxy"] and r["host"] == LOGIN_SERVER for r in requests))
        self.assert_token_dance([r for r in requests if r["endpoint"] == "token"], password)
        served = {(r["method"], r["path"]) for r in requests
                  if r["endpoint"] == "v2" and r["status"] == 200}
        self.assertIn(("GET", f"/v2/{REPOSITORY}/blobs/{self.image.layer_digest}"), served)

    def assert_token_dance(self, tokens, password):
        """containerd first POSTs the credentials as an OAuth2 password grant, which ACR answers
        400; it then falls back to GET with Basic auth, which yields the access token."""
        self.assertNotEqual(tokens, [])
        self.assertEqual(len(tokens) % 2, 0, tokens)
        for post, get in zip(tokens[::2], tokens[1::2]):
            self.assertEqual((post["method"], post["status"], post["form"].get("grant_type")),
                             ("POST", 400, "password"))
            self.assertEqual((post["form"].get("username"), post["form"].get("password")),
                             (NULL_GUID, password))
            self.assertEqual((get["method"], get["status"]), ("GET", 200))
            self.assertEqual(basic_credentials(get), (NULL_GUID, password))


if __name__ == "__main__":
    unittest.main()
