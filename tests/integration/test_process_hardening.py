#!/usr/bin/python3
"""The plugin and its HTTPS helper make themselves non-dumpable (PR_SET_DUMPABLE 0).

Secrets and tokens live in their memory: a non-dumpable process writes no core file, and
other processes of the same user can neither ptrace it nor read /proc/PID/environ or mem.
The kernel shows it by giving root the ownership of /proc/PID's files, which these tests
observe on processes run as nobody (so root ownership can only come from the flag). Needs
root and $ACRCP_BINARY.
"""

import json
import os
import subprocess
import time
from pathlib import Path

from harness import IntegrationTestCase, plugin_binary, plugin_env, request

TENANT = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
CLIENT = "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a"
SECRET = "Jk5Q~dump.Wq_2Rt-9yUiOp3aSd6fGh8jKl1zXc"
NOBODY = 65534
WAIT_SECONDS = 10
SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]}}}},
    "registries": {"myacr.azurecr.io": {"acrpull": [CLIENT]}},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}


def proc_owner(pid):
    return os.stat(f"/proc/{pid}/environ").st_uid


def wait_for(predicate, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class ProcessHardeningTest(IntegrationTestCase):
    scenario = SCENARIO

    def nobody_dir(self, prefix):
        path = self.new_dir(prefix)
        os.chown(path, NOBODY, NOBODY)
        return path

    def start_as_nobody(self, args, env=None):
        os.chmod(self.workdir, 0o755)
        process = subprocess.Popen([plugin_binary(), *args], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=plugin_env(env), cwd="/", user=NOBODY, group=NOBODY)
        self.addCleanup(self.stop, process)
        return process

    @staticmethod
    def stop(process):
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WAIT_SECONDS)

    @staticmethod
    def finish(process):
        """Close the plugin's stdin (the end of its request); returns stdout, stderr."""
        process.stdin.close()
        process.stdin = None  # communicate() must not flush it
        return process.communicate(timeout=30)

    def test_plugin_is_not_dumpable(self):
        # Waiting for its request on stdin, the plugin has long passed the prctl in main().
        process = self.start_as_nobody([])
        wait_for(lambda: proc_owner(process.pid) == 0, "the plugin's /proc files to be root's")
        self.finish(process)

    def test_helper_is_not_dumpable(self):
        secret_dir = self.nobody_dir("secret-")
        secret = secret_dir / "client-secret"
        secret.write_text(SECRET)
        self.secrets.add(SECRET)
        config = secret_dir / "config.json"
        config.write_text(json.dumps({
            "tenantId": TENANT, "clientId": CLIENT, "clientSecretFile": str(secret),
            "caBundleFile": self.fake.ca, "cacheDir": str(self.nobody_dir("cache-"))}))
        for path in (secret, config):
            os.chown(path, NOBODY, NOBODY)
            os.chmod(path, 0o600)
        self.fake.faults("entra", [{"delay_ms": 3000}])  # keeps the helper alive mid-request
        process = self.start_as_nobody(
            ["--config", str(config)],
            {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"})
        process.stdin.write(json.dumps(request("credentialprovider.kubelet.k8s.io/v1",
                                               "myacr.azurecr.io/team/app")).encode())
        process.stdin.close()
        process.stdin = None  # the request is complete; communicate() must not flush it
        helper = wait_for(lambda: children(process.pid), "the plugin to start its helper")[0]
        wait_for(lambda: os.readlink(f"/proc/{helper}/exe").endswith("acr-credential-provider-http"),
                 "the plugin's child to exec the helper")
        # Until the helper's main() has run, its /proc files are nobody's; then root's.
        wait_for(lambda: proc_owner(helper) == 0, "the helper's /proc files to be root's")
        stdout, stderr = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 0, stderr)
        self.assertIn(b"myacr.azurecr.io", stdout)
