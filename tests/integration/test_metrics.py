#!/usr/bin/python3
"""The Prometheus textfile (config key metricsFile), end to end against the fakes.

Checks what node_exporter's textfile collector would read: counts that survive 100
concurrent invocations, the token gauges against the cache entry, the error time, build_info,
and that Debian's promtool accepts the file. Needs $ACRCP_BINARY and promtool (Debian's
prometheus package).
"""

import os
import re
import stat
import subprocess
import time
import unittest

from harness import summary
from test_cache import COLD, REGISTRY, CacheTest, read_entry

PREFIX = "acr_credential_provider_"


def parse(text):
    """{series: value} of the file's samples."""
    series = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            series[key] = int(value)
    return series


class MetricsTest(CacheTest):

    def setUp(self):
        super().setUp()
        self.metrics = self.new_dir("textfile-") / "acr_credential_provider.prom"

    def config(self, **changes):
        return super().config(metricsFile=str(self.metrics), **changes)

    def samples(self):
        return parse(self.metrics.read_text())

    def test_a_hundred_concurrent_invocations_lose_no_count(self):
        results = self.invoke_concurrently(self.config(), [REGISTRY] * 100)
        for result in results:
            self.password(result)
        self.assertEqual(summary(self.fake.requests()), COLD)
        # Hits wait in acr_credential_provider.prom.pending (kHitBatchWindow); the refresh
        # run moves them into the file, as every rewrite does.
        self.run_refresh()
        samples = self.samples()
        invocations = {key: value for key, value in samples.items()
                       if key.startswith(f"{PREFIX}invocations_total")}
        self.assertEqual(invocations, {
            f'{PREFIX}invocations_total{{frontend="kubelet",result="hit"}}': 99,
            f'{PREFIX}invocations_total{{frontend="kubelet",result="miss"}}': 1,
            f'{PREFIX}invocations_total{{frontend="refresh",result="hit"}}': 1})
        self.assertEqual(samples[f'{PREFIX}requests_total{{service="entra",outcome="success"}}'], 1)
        self.assertEqual(samples[f'{PREFIX}requests_total{{service="acr",outcome="success"}}'], 1)
        entry = read_entry(self.acr_entry())
        self.assertEqual(
            samples[f'{PREFIX}token_expiry_timestamp_seconds{{registry="{REGISTRY}"}}'],
            entry["expiresAt"])
        self.assertEqual(
            samples[f'{PREFIX}token_last_refresh_timestamp_seconds{{registry="{REGISTRY}"}}'],
            entry["obtainedAt"])
        self.assertEqual(stat.S_IMODE(os.stat(self.metrics).st_mode), 0o644)
        self.assertEqual(sorted(p.name for p in self.metrics.parent.iterdir()),
                         [self.metrics.name, self.metrics.name + ".lock",
                          self.metrics.name + ".pending"])

    def test_hits_reach_the_file_once_it_is_ten_seconds_old(self):
        self.password(self.invoke())  # the miss writes the file
        for _ in range(3):
            self.password(self.invoke())
        hits = f'{PREFIX}invocations_total{{frontend="kubelet",result="hit"}}'
        self.assertNotIn(hits, self.samples(), "batched: the file is younger than 10 s")
        old = time.time() - 11
        os.utime(self.metrics, (old, old))
        self.password(self.invoke())
        self.assertEqual(self.samples()[hits], 4)
        self.password(self.invoke())
        self.run_refresh()
        self.assertEqual(self.samples()[hits], 5, "each hit counted once")

    def test_errors_are_counted_with_their_time(self):
        self.fake.faults("entra", [{"status": 400}], always=True)
        before = int(time.time())
        self.assert_failure(self.invoke())
        samples = self.samples()
        self.assertEqual(samples[f'{PREFIX}invocations_total{{frontend="kubelet",result="error"}}'], 1)
        self.assertEqual(samples[f'{PREFIX}requests_total{{service="entra",outcome="error"}}'], 1)
        self.assertGreaterEqual(samples[f"{PREFIX}last_error_timestamp_seconds"], before)
        self.assertLessEqual(samples[f"{PREFIX}last_error_timestamp_seconds"], int(time.time()))

    def test_build_info_names_the_compiled_in_libraries(self):
        self.password(self.invoke())
        info = [key for key in self.samples() if key.startswith(f"{PREFIX}build_info")]
        self.assertEqual(len(info), 1, info)
        self.assertRegex(info[0], r'^acr_credential_provider_build_info\{version="\d+\.\d+\.\d+",'
                                  r'libcurl="\d+\.\d+\.\d+",openssl="\d+\.\d+\.\d+[a-z]?"\}$')

    def test_promtool_accepts_the_file(self):
        self.password(self.invoke())
        self.fake.faults("entra", [{"status": 400}], always=True)
        self.invoke(registry="otheracr.azurecr.io")
        text = self.metrics.read_text()
        for name in ("invocations_total", "requests_total", "token_expiry_timestamp_seconds",
                     "last_error_timestamp_seconds", "build_info"):
            self.assertRegex(text, rf"# TYPE {PREFIX}{name} (counter|gauge)\n")
        check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                               capture_output=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(check.stdout + check.stderr, b"")

    def test_off_writes_nothing(self):
        self.password(self.invoke(super().config(metricsFile="off")))
        self.assertFalse(self.metrics.parent.exists() and any(self.metrics.parent.iterdir()))

    def run_refresh(self):
        result = subprocess.run([os.environ["ACRCP_BINARY"], "refresh", "--config",
                                 str(self.config())], capture_output=True, timeout=60,
                                env={"PATH": os.environ["PATH"], **self.env()})
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_refresh_run_is_counted(self):
        self.password(self.invoke())
        self.run_refresh()
        self.assertEqual(
            self.samples()[f'{PREFIX}invocations_total{{frontend="refresh",result="hit"}}'], 1)


if __name__ == "__main__":
    unittest.main()
