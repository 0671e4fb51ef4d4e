#!/usr/bin/python3
"""Memcheck over the plugin's miss and hit paths, and over its HTTPS helper, against the fakes.

Registered by tests/CMakeLists.txt as integration.valgrind_leaks, apart from the test_*.py
modules, because it needs $ACRCP_VALGRIND and a dynamically linked build of the plugin in
$ACRCP_BINARY (memcheck cannot see malloc inside the static-pie plugin: it reports "0 allocs"
there). The sanitizer build does not register it; LeakSanitizer covers the same paths there in
every integration test.

Every process (the plugin, and the helper it spawns on a miss) writes its own memcheck log;
each must report no error: no invalid access, no use of uninitialised memory, and no leak
that is definitely or possibly lost. The helper's exit status never reaches the test (the
plugin does not report it), so the logs are the verdict.
"""

import os
import re
import subprocess
import unittest

from harness import (API_VERSIONS, IntegrationTestCase, plugin_binary, plugin_env, request,
                     stdin_bytes, summary)

TENANT = "3c6d9e2f-1a4b-4c7d-8e0f-2a3b4c5d6e7f"
CLIENT = "6e9f2a3b-5c7d-4e8f-a0b1-3c4d5e6f7a8b"
SECRET = "Vn4Q~leaks.Jd_8Kp-3wRtYx6cE2uA0sD5fG7hJ9lZq"
SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]}}}},
    "registries": {"localhost:{tls}": {"acrpull": [CLIENT]}},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}
ERROR_SUMMARY = re.compile(r"^==\d+== ERROR SUMMARY: (\d+) errors", re.MULTILINE)
VALGRIND_EXIT = 97  # the plugin's own exit status when memcheck found an error in it
TIMEOUT = 120       # memcheck makes the TLS handshake in the helper take seconds


class ValgrindLeakTest(IntegrationTestCase):
    scenario = SCENARIO

    def setUp(self):
        super().setUp()
        self.valgrind = os.environ.get("ACRCP_VALGRIND")
        if not self.valgrind:
            raise RuntimeError("ACRCP_VALGRIND is not set: point it at valgrind")
        self.login_server = f"localhost:{self.fake.ports['tls']}"
        self.config = self.write_config({
            "tenantId": TENANT,
            "clientId": CLIENT,
            "clientSecretFile": str(self.secret_file(SECRET)),
            "caBundleFile": self.fake.ca,
            "cacheDir": str(self.new_dir("cache-")),
            "authorityHost": f"https://{self.login_server}",
            "registries": [self.login_server],
        })

    def memcheck(self, what):
        """Run the plugin once under memcheck; returns (result, {log name: log text})."""
        logs = self.new_dir(f"valgrind-{what}-")
        command = [self.valgrind, "--trace-children=yes", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect,possible",
                   f"--error-exitcode={VALGRIND_EXIT}", f"--log-file={logs}/memcheck.%p.log",
                   plugin_binary(), "--config", str(self.config)]
        stdin = stdin_bytes(request(API_VERSIONS[0], f"{self.login_server}/team/app"))
        result = self.checked_result(subprocess.run(
            command, input=stdin, capture_output=True, timeout=TIMEOUT, env=plugin_env(),
            cwd=self.new_dir("cwd-")))
        return result, {path.name: path.read_text() for path in sorted(logs.iterdir())}

    def assert_clean(self, logs, processes):
        """One log per process, each ending in a summary of zero errors."""
        self.assertEqual(len(logs), processes, f"memcheck logs: {sorted(logs)}")
        for name, text in logs.items():
            # Exactly one summary: memcheck ran to this process's normal exit (a helper
            # killed by the plugin would leave none, and its leaks unchecked).
            self.assertEqual(ERROR_SUMMARY.findall(text), ["0"], f"{name}:\n{text}")

    def test_miss_then_hit_are_memcheck_clean(self):
        miss, logs = self.memcheck("miss")
        self.assert_success(miss)
        self.assertEqual(summary(self.fake.requests()), [("entra", 200), ("exchange", 200)])
        self.assert_clean(logs, processes=2)  # the plugin and its helper

        self.fake.reset()
        hit, logs = self.memcheck("hit")
        self.assertEqual(self.assert_success(hit), self.assert_success(miss))
        self.assertEqual(self.fake.requests(), [])
        self.assert_clean(logs, processes=1)  # a hit never starts the helper


if __name__ == "__main__":
    unittest.main()
