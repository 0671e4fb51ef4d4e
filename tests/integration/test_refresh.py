#!/usr/bin/python3
"""`acr-credential-provider refresh` (the systemd timer's job), end to end against the fakes.

refresh renews, ahead of time and under the kubelet path's lock, every cached ACR refresh
token that a front end used in the last 3 days, so the kubelet's execs answer from the
cache and never wait on Entra ID. The ride-through test takes Entra ID down and checks that
kubelet execs make no request at all while the renewed token lasts, and that the error once
it has run out says since when no refresh has succeeded. Needs $ACRCP_BINARY.
"""

import os
import re
import subprocess
import time
import unittest
from pathlib import Path

from harness import plugin_binary, plugin_env, summary
from test_cache import (COLD, REGISTRY, OTHER_REGISTRY, CacheTest, age_entry, read_entry,
                        rewrite_entry)

# Obtained 5000 s ago of a 10800 s life: fresh now (under half its life), not in 30 min,
# refresh's look-ahead, so refresh renews it while the kubelet path would still hit.
AGING = (5000, 5800)
# Obtained 7000 s ago, 3800 s left: past half its life, still usable.
STALE_BUT_USABLE = (7000, 3800)
DAY = 24 * 3600
UTC_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


class RefreshTest(CacheTest):

    def refresh(self, config=None):
        result = subprocess.run([plugin_binary(), "refresh", "--config", str(config or self.config())],
                                capture_output=True, timeout=60, env=plugin_env(self.env()),
                                cwd=self.new_dir("cwd-"))
        return self.checked_result(result)

    def used_marker(self, entry):
        return entry.with_suffix(".used")

    def test_renews_an_aging_entry_so_the_kubelet_then_hits(self):
        old = self.prime()
        entry = self.acr_entry()
        age_entry(entry, AGING)
        marker_mtime = self.used_marker(entry).stat().st_mtime_ns

        result = self.refresh()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, f"renewed {REGISTRY}\n")
        self.assertEqual(summary(self.fake.requests()), COLD)
        renewed = self.assert_valid_entry(entry)
        self.assertNotEqual(renewed["token"], old)
        self.assertNotIn(renewed["token"], result.stdout + result.stderr)
        # Renewing is not a use: only the kubelet's and Docker's reads keep an entry alive.
        self.assertEqual(self.used_marker(entry).stat().st_mtime_ns, marker_mtime)

        self.fake.reset()
        self.assertEqual(self.password(self.invoke()), renewed["token"])
        self.assertEqual(self.fake.requests(), [])

    def test_leaves_fresh_entries_alone(self):
        self.prime()
        result = self.refresh()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, rf"^fresh {re.escape(REGISTRY)} \(valid until {UTC_TIME}\)\n$")
        self.assertEqual(self.fake.requests(), [])

    def test_skips_registries_not_used_for_three_days(self):
        self.prime()
        self.prime(OTHER_REGISTRY)
        for registry in (REGISTRY, OTHER_REGISTRY):
            age_entry(self.acr_entry(registry), AGING)
        unused = self.used_marker(self.acr_entry(OTHER_REGISTRY))
        four_days_ago = time.time() - 4 * DAY
        os.utime(unused, (four_days_ago, four_days_ago))

        result = self.refresh()
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = sorted(result.stdout.splitlines())
        self.assertEqual(len(lines), 2, result.stdout)
        self.assertEqual(lines[0], f"renewed {REGISTRY}")
        self.assertRegex(lines[1], rf"^skipped {re.escape(OTHER_REGISTRY)}: not used since "
                                   rf"{UTC_TIME} \(left to expire at {UTC_TIME}\)$")
        self.assertEqual(summary(self.fake.requests()), COLD)

    def test_an_empty_cache_is_not_an_error(self):
        result = self.refresh()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "nothing to renew: no token is cached yet\n")
        self.assertEqual(self.fake.requests(), [])

    def test_entries_of_another_identity_are_left_to_expire(self):
        self.prime()
        age_entry(self.acr_entry(), AGING)
        other_client = self.config(clientId="0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a")
        result = self.refresh(other_client)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, rf"^skipped {re.escape(REGISTRY)}: cached for another "
                                        rf"identity or configuration")
        self.assertEqual(self.fake.requests(), [])

    def test_rides_through_an_entra_outage_and_then_says_since_when(self):
        self.prime()
        entry = self.acr_entry()
        age_entry(entry, AGING)
        self.assertEqual(self.refresh().returncode, 0)  # the timer's last run before the outage
        self.fake.reset()

        self.fake.faults("entra", [{"status": 503}], always=True)
        age_entry(entry, AGING)
        failed = self.refresh()
        self.assertEqual(failed.returncode, 1)
        self.assertRegex(failed.stdout, rf"^FAIL {re.escape(REGISTRY)}: .*Entra.*\(the cached "
                                        rf"token is still served until {UTC_TIME}\)\n$")
        since = read_entry(entry)["refreshFailingSince"]
        self.assertLessEqual(abs(since - time.time()), 60)

        # The kubelet's execs keep answering from the cache without a single request, also
        # once the token is past half its life (when they would otherwise refresh it).
        self.fake.reset()  # forgets the requests, and the faults
        self.fake.faults("entra", [{"status": 503}], always=True)
        for age in (AGING, STALE_BUT_USABLE):
            age_entry(entry, age)
            for _ in range(3):
                self.password(self.invoke())
        self.assertEqual(self.fake.requests(), [])

        # The token's life has ended (planted: ACR's last 3 h), Entra ID is still down.
        rewrite_entry(entry, obtainedAt=int(time.time()) - 10800, expiresAt=int(time.time()) + 30)
        line = self.assert_failure(self.invoke())
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
        self.assertIn(f"[no refresh has succeeded since {stamp}; the cached token expired at ",
                      line)
        self.assertIn("503", line)


if __name__ == "__main__":
    unittest.main()
