"""`check` and `setup k3s|kubeadm`, run as an operator would, against the fake services.

setup works in a temporary --root, so the tests see exactly which files it creates.
"""

import json
import os
import unittest
from pathlib import Path

from harness import IntegrationTestCase, summary

REGISTRY = "myacr.azurecr.io"
IMAGE = f"{REGISTRY}/team/app"
K3S_DIR = Path("var/lib/rancher/credentialprovider")


class OperatorCommandTest(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        scenario = self.class_scenario
        self.tenant = next(iter(scenario["tenants"]))
        app = scenario["tenants"][self.tenant]["apps"]
        self.client, details = next(iter(app.items()))
        self.secret = details["secrets"][0]

    def node_config(self, root=None, **overrides):
        """A working node config, under `root`/etc/acr-credential-provider if given."""
        config = {"tenantId": self.tenant, "clientId": self.client,
                  "clientSecretFile": str(self.secret_file(self.secret)),
                  "caBundleFile": self.fake.ca, "cacheDir": str(self.new_dir("cache-")),
                  **overrides}
        if root is None:
            return self.write_config(config)
        path = root / "etc/acr-credential-provider/config.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def run_command(self, *args):
        env = {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"}
        return self.run_plugin(list(args), b"", env)

    def files_under(self, root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                      if p.is_file() or p.is_symlink())

    def test_check_reports_every_step_and_passes(self):
        result = self.run_command("check", "--config", str(self.node_config()), "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        report = result.stdout
        for expected in ("node config ", ": valid", f"service principal {self.client}",
                         "(owner uid 0, mode 0600)",
                         "cloud: AzurePublicCloud", "proxy: HTTPS_PROXY=http://127.0.0.1:",
                         "caBundleFile", "cache: ", "Entra ID: signed in",
                         f"ACR: {REGISTRY} issued a refresh token", "result: passed"):
            self.assertIn(expected, report)
        self.assertNotIn("FAIL", report)
        self.assertNotIn("eyJ", report, "no token may be printed")
        self.assertEqual(summary(self.fake.requests()), [("entra", 200), ("exchange", 200)])

    def test_check_explains_a_failure_and_exits_1(self):
        config = self.node_config(clientSecretFile=str(self.secret_file("wrong-secret")))
        result = self.run_command("check", "--config", str(config), "--image", IMAGE)
        self.assertEqual(result.returncode, 1)
        self.assertIn("FAIL  Entra ID sign-in", result.stdout)
        self.assertIn("AADSTS7000215", result.stdout)
        self.assertIn("result: FAILED", result.stdout)

    def test_check_fails_early_on_a_ca_bundle_others_can_write(self):
        bundle = self.new_dir("ca-") / "ca.pem"
        bundle.write_bytes(Path(self.fake.ca).read_bytes())
        bundle.chmod(0o666)
        result = self.run_command("check", "--config", str(self.node_config(caBundleFile=str(bundle))),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"FAIL  caBundleFile {bundle}", result.stdout)
        self.assertIn(f"chmod go-w {bundle}", result.stdout)
        self.assertEqual(self.fake.requests(), [], "nothing is tried with an untrusted bundle")

    def test_check_hides_proxy_credentials(self):
        env = {"HTTPS_PROXY": f"http://user:proxy-pass-123@127.0.0.1:{self.fake.ports['proxy']}"}
        result = self.run_plugin(["check", "--config", str(self.node_config())], b"", env)
        self.assertIn("HTTPS_PROXY=http://***@127.0.0.1:", result.stdout)
        self.assertNotIn("proxy-pass-123", result.stdout + result.stderr)

    def test_setup_k3s_creates_exactly_the_provider_files_and_is_idempotent(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.files_under(root), [
            "etc/acr-credential-provider/config.json",
            str(K3S_DIR / "bin/acr-credential-provider"),
            str(K3S_DIR / "config.yaml")])
        link = root / K3S_DIR / "bin/acr-credential-provider"
        self.assertEqual(os.readlink(link), os.path.realpath(os.environ["ACRCP_BINARY"]))
        yaml = (root / K3S_DIR / "config.yaml").read_text()
        for expected in ("apiVersion: kubelet.config.k8s.io/v1", "kind: CredentialProviderConfig",
                         "- name: acr-credential-provider",
                         "apiVersion: credentialprovider.kubelet.k8s.io/v1",
                         '- "*.azurecr.io"', '- "*.*.geo.azurecr.io"',
                         'defaultCacheDuration: "10m"', '- "--config"',
                         '- "/etc/acr-credential-provider/config.json"'):
            self.assertIn(expected, yaml)
        self.assertIn("systemctl restart k3s", result.stdout)

        again = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                 "--image", IMAGE)
        self.assertEqual(again.returncode, 0)
        self.assertEqual(again.stdout.count("unchanged "), 2, again.stdout)
        self.assertEqual(len(self.files_under(root)), 3, "nothing new, no backups")

    def test_setup_backs_up_what_it_replaces(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        (root / K3S_DIR).mkdir(parents=True)
        (root / K3S_DIR / "config.yaml").write_text("old: provider config\n")
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout)
        backups = list((root / K3S_DIR).glob("config.yaml.bak-*"))
        self.assertEqual(len(backups), 1)
        self.assertEqual(backups[0].read_text(), "old: provider config\n")

    def test_dry_run_changes_nothing(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE, "--dry-run")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("would write", result.stdout)
        self.assertIn("kind: CredentialProviderConfig", result.stdout)
        self.assertIn("dry run: nothing was changed", result.stdout)
        self.assertEqual(self.files_under(root), ["etc/acr-credential-provider/config.json"])

    def test_setup_refuses_a_config_that_does_not_work(self):
        root = self.new_dir("root-")
        config = self.node_config(root, clientSecretFile=str(self.secret_file("wrong-secret")))
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 1)
        self.assertIn("AADSTS7000215", result.stdout)
        self.assertEqual(self.files_under(root), ["etc/acr-credential-provider/config.json"],
                         "K3s must never see a provider that cannot work")

    def test_setup_kubeadm_writes_the_config_and_prints_the_flags(self):
        root = self.new_dir("root-")
        config = self.node_config(root, registries=["registry.contoso.com"],
                                  mirrors={"registry.local:5000": REGISTRY})
        result = self.run_command("setup", "kubeadm", "--root", str(root), "--config",
                                  str(config), "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        yaml = (root / "etc/kubernetes/credential-provider.yaml").read_text()
        self.assertIn('- "registry.contoso.com"', yaml)
        self.assertIn('- "registry.local:5000"', yaml)
        self.assertIn("--image-credential-provider-config=/etc/kubernetes/credential-provider.yaml",
                      result.stdout)
        self.assertIn("--image-credential-provider-bin-dir=", result.stdout)


if __name__ == "__main__":
    unittest.main()
