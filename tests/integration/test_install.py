"""The install layout: `cmake --install` into any prefix, or into a DESTDIR, gives a plugin
that finds its helper and serves a cold miss; so does a symlink to it in another directory,
as K3s's bin directory holds one.

Needs $ACRCP_BUILD_DIR (a configured and built tree) and $ACRCP_CMAKE.
"""

import os
import subprocess
import unittest
from pathlib import Path

from harness import IntegrationTestCase, request, stdin_bytes, summary

REGISTRY = "myacr.azurecr.io"
V1 = "credentialprovider.kubelet.k8s.io/v1"
PLUGIN_DIR = "libexec/kubelet-image-credential-provider-plugins"


class InstallLayoutTest(IntegrationTestCase):

    def setUp(self):
        super().setUp()
        self.config = self.new_config()

    def new_config(self):
        """A working node config with a cache of its own, so every run is a cold miss."""
        tenant, details = next(iter(self.class_scenario["tenants"].items()))
        client, app = next(iter(details["apps"].items()))
        return self.write_config({
            "tenantId": tenant, "clientId": client,
            "clientSecretFile": str(self.secret_file(app["secrets"][0])),
            "caBundleFile": self.fake.ca, "cacheDir": str(self.new_dir("cache-"))})

    def install(self, prefix, destdir=None):
        """`cmake --install` of the build tree; returns the root the files landed under."""
        env = {**os.environ, **({"DESTDIR": str(destdir)} if destdir else {})}
        subprocess.run([os.environ["ACRCP_CMAKE"], "--install", os.environ["ACRCP_BUILD_DIR"],
                        "--prefix", str(prefix)], check=True, capture_output=True, env=env)
        return Path(f"{destdir}{prefix}") if destdir else Path(prefix)

    def assert_cold_miss_works(self, plugin):
        self.fake.reset()
        result = subprocess.run(
            [str(plugin), "--config", str(self.new_config())],
            input=stdin_bytes(request(V1, f"{REGISTRY}/team/app")),
            capture_output=True, timeout=60,
            env={"PATH": "/usr/bin:/bin",
                 "HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"})
        result = self.checked_result(result)
        response = self.assert_success(result)
        self.assertIn(REGISTRY, response["auth"])
        self.assertEqual(summary(self.fake.requests()), [("entra", 200), ("exchange", 200)])

    def test_any_prefix_works(self):
        root = self.install(self.new_dir("prefix-") / "opt")
        self.assertTrue((root / "libexec/acr-credential-provider/acr-credential-provider-http")
                        .is_file())
        self.assert_cold_miss_works(root / PLUGIN_DIR / "acr-credential-provider")

    def test_destdir_staging_works(self):
        root = self.install("/usr", destdir=self.new_dir("destdir-"))
        self.assert_cold_miss_works(root / PLUGIN_DIR / "acr-credential-provider")

    def test_symlink_in_another_directory_works(self):
        root = self.install(self.new_dir("prefix-"))
        bin_dir = self.new_dir("k3s-bin-")
        (bin_dir / "acr-credential-provider").symlink_to(root / PLUGIN_DIR /
                                                         "acr-credential-provider")
        self.assert_cold_miss_works(bin_dir / "acr-credential-provider")
        link = root / "bin" / "acr-credential-provider"
        self.assertTrue(link.is_symlink(), "the operator's /usr/bin link")
        self.assert_cold_miss_works(link)

    def test_a_missing_helper_names_where_it_was_looked_for(self):
        root = self.install(self.new_dir("prefix-"))
        helper = root / "libexec/acr-credential-provider/acr-credential-provider-http"
        helper.unlink()
        result = self.checked_result(subprocess.run(
            [str(root / PLUGIN_DIR / "acr-credential-provider"), "--config", str(self.config)],
            input=stdin_bytes(request(V1, f"{REGISTRY}/team/app")),
            capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"}))
        line = self.assert_failure(result)
        self.assertIn("cannot find the HTTPS helper acr-credential-provider-http", line)
        self.assertIn(str(helper), line)


if __name__ == "__main__":
    unittest.main()
