"""`check` and `setup k3s|kubeadm [--remove]`, run as an operator would, against the fakes.

setup works in a temporary --root, so the tests see exactly which files it creates; K3s's
own files (its unit, environment file and config drop-ins) are written into that root too.
"""

import json
import os
import re
import select
import subprocess
import time
import unittest
from pathlib import Path

from harness import IntegrationTestCase, plugin_binary, plugin_env, summary

REGISTRY = "myacr.azurecr.io"
IMAGE = f"{REGISTRY}/team/app"
# check --image: sign in, exchange, then a pull token and a HEAD of the image's manifest.
PULL_CHECK = [("entra", 200), ("exchange", 200), ("token", 200), ("manifest", 200)]
K3S_DIR = Path("var/lib/rancher/credentialprovider")
# An ECR provider as the AWS docs write one, with an operator's comment.
ECR_CONFIG = """\
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  # ECR, for the images the build cluster pushes
  - name: ecr-credential-provider
    matchImages:
      - "*.dkr.ecr.*.amazonaws.com"
      - "*.dkr.ecr.*.amazonaws.com.cn"
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    env:
      - name: AWS_PROFILE
        value: pull
"""


def registered_providers(root, config=K3S_DIR / "config.yaml", bin_dir=K3S_DIR / "bin"):
    """What the kubelet would register, as pkg/credentialprovider/plugin does at start-up:
    for each provider name in the config, bin_dir/name must resolve to an executable.
    Returns (names, the names whose binary is missing or dangling); ([], []) with no config,
    which K3s then does not pass to the kubelet at all."""
    path = root / config
    if not path.exists():
        return [], []
    entries = re.findall(r"^( *)-\s*name:\s*\"?([\w.-]+)", path.read_text(), re.M)
    # Providers are the list items least indented; deeper "- name:" lines are env entries.
    outer = min((len(indent) for indent, _ in entries), default=0)
    names = [name for indent, name in entries if len(indent) == outer]
    missing = [name for name in names
               if not os.access(os.path.realpath(root / bin_dir / name), os.X_OK)]
    return names, missing


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
        self.assertEqual(summary(self.fake.requests()), PULL_CHECK)

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

    def test_setup_enables_the_refresh_timer_and_remove_disables_it(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        timer = "usr/lib/systemd/system/acr-credential-provider-refresh.timer"
        (root / timer).parent.mkdir(parents=True)
        (root / timer).write_text("[Timer]\nOnUnitActiveSec=15min\n")
        wants = root / "etc/systemd/system/timers.target.wants/acr-credential-provider-refresh.timer"

        dry = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                               "--image", IMAGE, "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stdout + dry.stderr)
        self.assertIn(f"would link {wants} -> /{timer}", dry.stdout)
        self.assertFalse(wants.is_symlink())

        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(os.readlink(wants), f"/{timer}")
        self.assertIn("next: systemctl start acr-credential-provider-refresh.timer; restart K3s",
                      result.stdout)

        removed = self.run_command("setup", "k3s", "--root", str(root), "--remove")
        self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
        self.assertIn(f"remove {wants}", removed.stdout)
        self.assertFalse(wants.is_symlink())
        self.assertTrue((root / timer).is_file(), "the unit itself is the package's")

    def test_setup_without_the_timer_unit_says_how_to_run_refresh(self):
        root = self.new_dir("root-")
        result = self.run_command("setup", "k3s", "--root", str(root), "--config",
                                  str(self.node_config(root)), "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no systemd unit acr-credential-provider-refresh.timer is installed (a "
                      "tarball install): run `acr-credential-provider refresh` every 15 minutes",
                      result.stdout)
        self.assertFalse((root / "etc/systemd").exists())

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

    def test_setup_backs_up_what_it_changes(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        self.install_ecr(root)
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout)
        backups = list((root / K3S_DIR).glob("config.yaml.bak-*"))
        self.assertEqual(len(backups), 1)
        self.assertEqual(backups[0].read_text(), ECR_CONFIG)

    def test_setup_writes_nothing_the_kubelet_would_refuse(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        (root / K3S_DIR).mkdir(parents=True)
        (root / K3S_DIR / "config.yaml").write_text(ECR_CONFIG)  # its binary is missing
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 1)
        self.assertIn("setup: provider ecr-credential-provider in "
                      "/var/lib/rancher/credentialprovider/config.yaml has no executable", result.stderr)
        self.assertEqual((root / K3S_DIR / "config.yaml").read_text(), ECR_CONFIG)
        self.assertFalse((root / K3S_DIR / "bin").exists())

    def install_ecr(self, root):
        """ECR_CONFIG and its provider's binary, as an operator would have them."""
        (root / K3S_DIR / "bin").mkdir(parents=True)
        (root / K3S_DIR / "config.yaml").write_text(ECR_CONFIG)
        ecr = root / K3S_DIR / "bin/ecr-credential-provider"
        ecr.write_text("#!/bin/sh\n")
        ecr.chmod(0o755)

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

    # ------------------------------------------------------------ a node's whole life

    def test_setup_keeps_other_providers_and_remove_gives_the_file_back(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        self.install_ecr(root)
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        merged = (root / K3S_DIR / "config.yaml").read_text()
        self.assertTrue(merged.startswith(ECR_CONFIG), "the ECR entry is kept exactly")
        self.assertEqual(registered_providers(root),
                         (["ecr-credential-provider", "acr-credential-provider"], []))

        removed = self.run_command("setup", "k3s", "--remove", "--root", str(root))
        self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
        self.assertEqual((root / K3S_DIR / "config.yaml").read_text(), ECR_CONFIG)
        self.assertEqual(registered_providers(root), (["ecr-credential-provider"], []))
        self.assertIn("restart K3s", removed.stdout)

    def test_setup_reports_a_provider_matching_the_same_images(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        (root / K3S_DIR).mkdir(parents=True)
        other = ("apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n"
                 "providers:\n- name: upstream-acr\n  matchImages: [\"*.azurecr.io\"]\n"
                 "  defaultCacheDuration: 10m\n"
                 "  apiVersion: credentialprovider.kubelet.k8s.io/v1\n")
        (root / K3S_DIR / "config.yaml").write_text(other)
        (root / K3S_DIR / "bin").mkdir()
        (root / K3S_DIR / "bin/upstream-acr").symlink_to("/bin/true")
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn('provider upstream-acr also matches images of *.azurecr.io (its pattern '
                      '"*.azurecr.io")', result.stdout)
        self.assertTrue((root / K3S_DIR / "config.yaml").read_text().startswith(other))

    def test_dry_run_shows_the_change_as_a_diff(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        self.install_ecr(root)
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE, "--dry-run")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn(f"--- /{K3S_DIR}/config.yaml\n+++ /{K3S_DIR}/config.yaml\n@@ -11,3 +11,14 @@\n"
                      "     env:\n", result.stdout)
        self.assertIn("+  - name: acr-credential-provider\n", result.stdout)
        self.assertNotIn("\n-", result.stdout.split("@@", 1)[1], "nothing of the operator's goes")
        self.assertEqual((root / K3S_DIR / "config.yaml").read_text(), ECR_CONFIG)

    def test_remove_leaves_the_kubelet_no_dangling_provider(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        result = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertEqual(registered_providers(root), (["acr-credential-provider"], []))
        removed = self.run_command("setup", "k3s", "--remove", "--root", str(root))
        self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
        self.assertEqual(registered_providers(root), ([], []))
        self.assertEqual(self.files_under(root), ["etc/acr-credential-provider/config.json"])
        self.assertFalse((root / K3S_DIR).exists())
        again = self.run_command("setup", "k3s", "--remove", "--root", str(root))
        self.assertEqual(again.returncode, 0)
        self.assertIn("nothing of this program's was found to remove", again.stdout)

    def k3s_node(self, root, env_lines, drop_in=None):
        """K3s as its install script leaves it under `root`: an agent unit reading
        k3s-agent.service.env, and optionally a config.yaml.d drop-in."""
        unit = root / "etc/systemd/system/k3s-agent.service"
        unit.parent.mkdir(parents=True, exist_ok=True)
        unit.write_text("[Service]\nEnvironmentFile=-/etc/default/%N\n"
                        "EnvironmentFile=-/etc/systemd/system/k3s-agent.service.env\n"
                        "ExecStart=/usr/local/bin/k3s \\\n    agent \\\n")
        (root / "etc/systemd/system/k3s-agent.service.env").write_text("\n".join(env_lines) + "\n")
        if drop_in:
            path = root / "etc/rancher/k3s/config.yaml.d/50-acr.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(drop_in)

    def test_check_and_setup_use_k3s_environment_and_paths(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        proxy = f"http://127.0.0.1:{self.fake.ports['proxy']}"
        self.k3s_node(root, [f"HTTPS_PROXY={proxy}", "K3S_URL=https://10.0.0.1:6443"],
                      "image-credential-provider-config: /etc/k3s/providers.yaml\n"
                      "image-credential-provider-bin-dir: /opt/k3s/plugins\n")
        # The shell has no proxy: only K3s's environment gets check to the registry.
        shell = {"NO_PROXY": "*"}
        result = self.run_plugin(["check", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE], b"", shell)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(f"proxy: K3s's kubelet uses HTTPS_PROXY={proxy} (from "
                      "/etc/systemd/system/k3s-agent.service.env)", result.stdout)
        self.assertIn("warn  proxy: this shell has", result.stdout)
        self.assertIn("K3s (k3s-agent.service): credential provider config /etc/k3s/providers.yaml "
                      "(/etc/rancher/k3s/config.yaml.d/50-acr.yaml), plugins in /opt/k3s/plugins",
                      result.stdout)
        self.assertEqual(summary(self.fake.requests()), PULL_CHECK)

        result = self.run_plugin(["setup", "k3s", "--root", str(root), "--config", str(config),
                                  "--image", IMAGE], b"", shell)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertTrue((root / "etc/k3s/providers.yaml").is_file())
        self.assertTrue((root / "opt/k3s/plugins/acr-credential-provider").is_symlink())
        self.assertFalse((root / K3S_DIR).exists(), "nothing where K3s does not look")
        self.assertIn("systemctl restart k3s-agent", result.stdout)
        self.assertEqual(registered_providers(root, "etc/k3s/providers.yaml", "opt/k3s/plugins"),
                         (["acr-credential-provider"], []))

    def test_check_validates_the_kubelet_side_as_the_kubelet_would(self):
        root = self.new_dir("root-")
        config = self.node_config(root)
        self.k3s_node(root, [f"HTTPS_PROXY=http://127.0.0.1:{self.fake.ports['proxy']}"])
        setup = self.run_command("setup", "k3s", "--root", str(root), "--config", str(config),
                                 "--image", IMAGE)
        self.assertEqual(setup.returncode, 0, setup.stdout + setup.stderr)
        check = self.run_command("check", "--root", str(root), "--config", str(config),
                                 "--image", f"{IMAGE}:v1")
        self.assertEqual(check.returncode, 0, check.stdout)
        self.assertIn(f"ok    kubelet: /{K3S_DIR}/config.yaml decodes as the kubelet decodes it; "
                      "providers acr-credential-provider", check.stdout)
        self.assertIn('ok    kubelet: matchImages "*.azurecr.io" of acr-credential-provider '
                      f"matches {IMAGE}", check.stdout)

        yaml = root / K3S_DIR / "config.yaml"
        yaml.write_text(yaml.read_text().replace("defaultCacheDuration", "defaultcacheDuration"))
        check = self.run_command("check", "--root", str(root), "--config", str(config),
                                 "--image", "myacr.westeurope.geo.azurecr.io/team/app")
        self.assertEqual(check.returncode, 1)
        self.assertIn(f"FAIL  kubelet: would not start: /{K3S_DIR}/config.yaml: line 12: "
                      "providers[0]: unknown field 'defaultcacheDuration' (field names are "
                      "case-sensitive: defaultCacheDuration)", check.stdout)
        self.assertIn(f"FAIL  kubelet: would not start: /{K3S_DIR}/config.yaml: line 5: "
                      "providers[0].defaultCacheDuration: required field missing", check.stdout)

        (root / K3S_DIR / "bin/acr-credential-provider").unlink()
        check = self.run_command("check", "--root", str(root), "--config", str(config))
        self.assertIn("FAIL  kubelet: provider acr-credential-provider", check.stdout)
        self.assertIn("has no executable", check.stdout)

    def test_check_prints_each_line_as_it_is_known(self):
        self.fake.faults("entra", [{"delay_ms": 2500}])
        process = subprocess.Popen(
            [plugin_binary(), "check", "--config", str(self.node_config()), "--image", IMAGE],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=plugin_env({"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"}))
        early = b""
        deadline = time.monotonic() + 20
        while b"waiting for login.microsoftonline.com" not in early and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if ready:
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    break
                early += chunk
        self.assertIsNone(process.poll(), "the lines came while check was still working")
        self.assertIn(b"  ok    node config ", early)
        self.assertIn(b"waiting for login.microsoftonline.com (1 s)", early)
        out, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, (early + out + err).decode())
        self.assertIn(b"result: passed", early + out)

    def test_a_json_typo_is_named_with_its_line_and_column(self):
        path = self.write_config({"tenantId": self.tenant})
        path.write_text(path.read_text().replace("\n}", ",\n}"))  # a trailing comma
        result = self.run_command("check", "--config", str(path))
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"FAIL  node config {path}: line 3, column 1: syntax error while parsing "
                      "object key - unexpected '}'; expected string literal", result.stdout)
        self.assertIn("/usr/share/doc/acr-credential-provider/examples/config.json", result.stdout)


if __name__ == "__main__":
    unittest.main()
