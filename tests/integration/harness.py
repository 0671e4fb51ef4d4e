"""Integration-test harness: runs the fake Entra ID + ACR services and the plugin binary.

- FakeAzure: context manager around tests/fakes/fake_azure.py (a process of its own) that
  exposes the fake's admin API (requests(), connects(), reset(), faults(), set_scenario()).
- IntegrationTestCase: unittest base with one temp dir and one fake per test class; every
  test starts with no recorded requests, no faults and the class's scenario.
- run_plugin runs the binary named by $ACRCP_BINARY with a clean environment and checks,
  for every run, that no secret the test knows of appears on stdout or stderr
  (checked_result does the same for plugins a test starts itself, with plugin_binary and
  plugin_env).

Standard library only; the fake itself needs /usr/bin/python3 (python3-cryptography).
"""

import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "fakes"))
from fake_client import NULL_GUID, FakeClient  # noqa: E402  (path set up just above)
from service_process import ServiceProcess  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's interpreter, the one with python3-cryptography
FAKE_AZURE = REPO / "tests" / "fakes" / "fake_azure.py"
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ARC_TOKENS = Path("/var/opt/azcmagent/tokens")  # the only directory the plugin reads Arc keys from
API_VERSIONS = (
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
)
__all__ = ["API_VERSIONS", "ARC_TOKENS", "NULL_GUID", "FakeAzure", "IntegrationTestCase",
           "go_duration_seconds", "jwt_claims", "plugin_binary", "plugin_env", "request",
           "stdin_bytes", "summary", "use_arc_key_directory", "write_secret"]


class FakeAzure(ServiceProcess, FakeClient):
    """Start fake_azure.py in state_dir with `scenario` (None: its built-in default).

    Entering waits for its "ready" line; leaving stops it and raises if it had crashed or did
    not stop cleanly, so a broken fake fails the tests loudly instead of hiding behind them.
    """

    name = "fake_azure.py"

    def __init__(self, state_dir, scenario=None, startup_timeout=30):
        self.state_dir = Path(state_dir)
        self.scenario = scenario
        super().__init__(self.state_dir / "fake.log", startup_timeout)

    def __enter__(self):
        self.state_dir.mkdir(parents=True, exist_ok=True)
        super().__enter__()
        FakeClient.__init__(self, json.loads((self.state_dir / "ports.json").read_text()))
        return self

    def __exit__(self, *exc_info):
        super().__exit__(*exc_info)
        if self.process.returncode != 0:
            raise RuntimeError(f"fake_azure.py did not stop cleanly (status "
                               f"{self.process.returncode}):\n{self.log_tail()}")

    def _launch(self, log):
        args = [SYSTEM_PYTHON, str(FAKE_AZURE), "--state-dir", str(self.state_dir)]
        if self.scenario is not None:
            scenario_file = self.state_dir / "scenario.json"
            scenario_file.write_text(json.dumps(self.scenario))
            args += ["--scenario", str(scenario_file)]
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)

    def _wait_ready(self):
        readable, _, _ = select.select([self.process.stdout], [], [], self.startup_timeout)
        if not (readable and self.process.stdout.readline().strip() == b"ready"):
            raise RuntimeError(f"fake_azure.py did not become ready:\n{self.log_tail()}")

    def _stop(self):
        super()._stop()
        self.process.stdout.close()

    def admin(self, method, path, body=None):
        try:
            return super().admin(method, path, body)
        except OSError:
            if self.process.poll() is not None:
                raise RuntimeError(f"fake_azure.py died:\n{self.log_tail()}") from None
            raise


def write_secret(path, value, mode=0o600):
    """Write `value` to `path` with exactly `mode` (not subject to the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    os.chmod(path, mode)
    return Path(path)


def use_arc_key_directory(test_class):
    """Make ARC_TOKENS exist (needs root) for `test_class`. What this made is removed after
    the class if it is empty by then: another module may be using it at the same time."""
    created = [path for path in (ARC_TOKENS.parent, ARC_TOKENS) if not path.exists()]
    ARC_TOKENS.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in created:
        test_class.addClassCleanup(_remove_if_empty, path)


def _remove_if_empty(directory):
    if directory.exists() and not any(directory.iterdir()):
        directory.rmdir()


def plugin_binary():
    """The plugin under test, named by $ACRCP_BINARY."""
    binary = os.environ.get("ACRCP_BINARY")
    if not binary:
        raise RuntimeError("ACRCP_BINARY is not set: point it at the built acr-credential-provider "
                           "(e.g. build/release/plugin/acr-credential-provider)")
    return binary


def plugin_env(env=None):
    """PATH plus `env` only, so the caller's proxy or Azure variables never leak in."""
    return {"PATH": CLEAN_PATH, **(env or {})}


def stdin_bytes(stdin):
    """A request dict as the kubelet sends it (one JSON line); bytes pass unchanged."""
    return stdin if isinstance(stdin, bytes) else (json.dumps(stdin) + "\n").encode()


def summary(requests):
    """(endpoint, status) per request: compact enough to compare whole request sequences."""
    return [(r["endpoint"], r["status"]) for r in requests]


def request(api_version, image):
    """A CredentialProviderRequest as the kubelet sends it on the plugin's stdin."""
    return {"kind": "CredentialProviderRequest", "apiVersion": api_version, "image": image}


def jwt_claims(token):
    """The payload of a JWT, unverified (the fake verifies; tests only read claims)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


GO_DURATION_UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")


def go_duration_seconds(text):
    """Seconds in a Go time.Duration string ("1h29m59s", "0s"); ValueError if it is not one."""
    if text == "0":
        return 0.0
    parts = GO_DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a Go duration: {text!r}")
    return sum(float(number) * GO_DURATION_UNITS[unit] for number, unit in parts)


class IntegrationTestCase(unittest.TestCase):
    """One temp dir and one FakeAzure per class, removed afterwards.

    Subclasses set `scenario` (None: the fake's default). `secrets` holds every secret value
    the scenario knows; secret_file() adds the values a test writes. run_plugin() asserts
    none of them ever reaches the plugin's stdout or stderr.
    """

    scenario = None

    @classmethod
    def setUpClass(cls):
        cls.workdir = Path(tempfile.mkdtemp(prefix=f"acrcp-{cls.__name__}-"))
        cls.addClassCleanup(shutil.rmtree, cls.workdir, ignore_errors=True)
        cls.fake = cls.enterClassContext(FakeAzure(cls.workdir / "fake", cls.scenario))
        cls.class_scenario = cls.fake.current_scenario()

    def setUp(self):
        self.fake.reset()
        self.fake.set_scenario(self.class_scenario)  # undo whatever an earlier test changed
        self.secrets = set(scenario_secrets(self.class_scenario))

    def new_dir(self, prefix):
        """A fresh directory inside the class's temp dir."""
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.workdir))

    def secret_file(self, value, mode=0o600):
        """A fresh file holding `value`; the value is then checked for leaks on every run."""
        self.secrets.add(value)
        return write_secret(self.new_dir("secret-") / "client-secret", value, mode)

    def write_config(self, config):
        """Write a node config (JSON, mode 0600) into a fresh directory; returns its path."""
        path = self.new_dir("config-") / "config.json"
        write_secret(path, json.dumps(config, indent=2))
        return path

    def run_plugin(self, args, stdin, env=None, timeout=60):
        """Run the plugin binary; returns CompletedProcess with stdout/stderr decoded as text.

        stdin is a dict (sent as one JSON line, as the kubelet does) or bytes. The environment
        is PATH plus `env` only, so the caller's proxy or Azure variables never leak in.
        """
        result = subprocess.run([plugin_binary(), *args], input=stdin_bytes(stdin),
                                capture_output=True, timeout=timeout, env=plugin_env(env),
                                cwd=self.new_dir("cwd-"))
        return self.checked_result(result)

    def checked_result(self, result):
        """Decode a finished plugin process's output and check it for leaked secrets.

        For plugins started some other way than run_plugin (concurrently, under a debugger).
        """
        result.stdout = result.stdout.decode("utf-8", "replace")
        result.stderr = result.stderr.decode("utf-8", "replace")
        self.assert_no_secret_leak(result)
        return result

    def assert_no_secret_leak(self, result):
        for secret in self.secrets:
            self.assertNotIn(secret, result.stdout, "a client secret appeared on stdout")
            self.assertNotIn(secret, result.stderr, "a client secret appeared on stderr")

    def assert_success(self, result):
        """Exit 0 and stdout exactly one JSON object; returns it."""
        self.assertEqual(result.returncode, 0, f"plugin failed: {result.stderr}")
        response = json.loads(result.stdout)
        self.assertIsInstance(response, dict)
        return response

    def assert_failure(self, result):
        """Exit 1, nothing on stdout, one 'acr-credential-provider: ' line on stderr; returns it."""
        self.assertEqual(result.returncode, 1, f"stdout: {result.stdout!r} stderr: {result.stderr!r}")
        self.assertEqual(result.stdout, "")
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, f"expected one stderr line, got {result.stderr!r}")
        self.assertTrue(lines[0].startswith("acr-credential-provider: "), lines[0])
        return lines[0]


def scenario_secrets(scenario):
    """Every client secret, current or expired, that a scenario document defines."""
    for tenant in scenario["tenants"].values():
        for app in tenant.get("apps", {}).values():
            yield from app.get("secrets", [])
            yield from app.get("expired_secrets", [])
