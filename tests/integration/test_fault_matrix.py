#!/usr/bin/python3
"""The fault matrix: every Azure endpoint the plugin talks to, failing in every way a network
or a service fails, with and without a usable cached ACR refresh token.

Columns (endpoints): the Entra ID token endpoint (a client secret), the ACR token exchange,
the Azure Arc agent (HIMDS; its challenge is answered normally, then its token request fails)
and the Azure VM metadata service (IMDS). Rows (faults) are always on: every request to the
endpoint fails that way, so the attempts are bounded by the retry policy and the deadline
(timeoutSeconds). Each cell asserts:
  no cached token  exit 1, nothing on stdout, one stderr line naming the endpoint (and host)
                   and the cause; the requests the fake saw (transient faults retried up to
                   4 attempts with backoff or Retry-After, terminal ones sent once); wall time
                   under timeoutSeconds plus process slack
  cached token     a valid ACR refresh token in the cache, past half its life, so the plugin
                   refreshes it: the refresh hits the fault, the cached token is served (exit 0,
                   the same token) and the -v 1 log says why; same attempts, same time bound

The cells run in parallel lanes, one fake per (endpoint, variant), so the module takes about
as long as one lane (~30 s); each cell's assertions are then a test method of its own.
ACRCP_FAULT_TABLE=PATH writes the observed matrix as markdown tables (docs/security.md,
"Fault matrix"). The HIMDS column needs root (the Arc key directory is root's).
Needs $ACRCP_BINARY.
"""

import concurrent.futures
import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import (ARC_TOKENS, FakeAzure, go_duration_seconds, plugin_binary, plugin_env,
                     request, summary, use_arc_key_directory, write_secret)
from test_cache import PAST_HALF_LIFE, STALE_MESSAGE, age_entry

TIMEOUT = 5          # timeoutSeconds of every cell
SLACK = 1.0          # process start and exit on top of timeoutSeconds
MAX_ATTEMPTS = 4     # RetryPolicy in plugin/net/retry.h
BASE_DELAY = 0.5     # its first backoff; each further one doubles, jitter takes up to half off
GAP_TOLERANCE = 0.5  # an attempt's own round trip, and a busy machine, on top of the wait
HUGE_BYTES = 20 << 20

TENANT = "6d2f8a1c-3b5e-4c7d-9a0b-1e2f3c4d5a6b"
CLIENT = "2c4e6a8b-1d3f-4b5c-8d7e-9f0a1b2c3d4e"
ARC_CLIENT = "8e1a3c5d-7f9b-4d2e-8a6c-0b2d4f6a8c0e"
VM_CLIENT = "4a6c8e0b-2d4f-4a1c-9e3b-5d7f9a1c3e5b"
SECRET = "Fm3Q~fault.Matrix_7Kp-2vNwXc9rT4yU6iO8aSd"
V1 = "credentialprovider.kubelet.k8s.io/v1"

SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]}}}},
    "registries": {"localhost:{tls}": {"acrpull": [CLIENT, ARC_CLIENT, VM_CLIENT]}},
    "himds": {"tenant": TENANT, "system_client_id": ARC_CLIENT, "key_dir": str(ARC_TOKENS)},
    "imds": {"tenant": TENANT, "system_client_id": VM_CLIENT},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}


@dataclasses.dataclass(frozen=True)
class Fault:
    name: str
    title: str
    spec: dict       # the fake's fault
    recorded: object  # the status the fake records for a faulted request (None: never answered)
    attempts: int    # how many the plugin makes
    cause: str       # regex: how the message names the cause
    wait: object = None  # between attempts: "backoff", or the seconds Retry-After asks for
    hint: str = ""   # regex the failure line (no cached token) also carries


FAULTS = (
    Fault("throttled", "429 with Retry-After: 1",
          {"status": 429, "headers": {"Retry-After": "1"},
           "body": {"error": "temporarily_unavailable"}},
          429, MAX_ATTEMPTS, rf"HTTP 429\b.*\b{MAX_ATTEMPTS} attempts\b", wait=1.0),
    Fault("throttled_past_deadline", "429 with Retry-After: 3600",
          {"status": 429, "headers": {"Retry-After": "3600"}}, 429, 1,
          r"HTTP 429\b.*\b1 attempt\b"),
    Fault("error_500", "500", {"status": 500}, 500, MAX_ATTEMPTS,
          rf"HTTP 500\b.*\b{MAX_ATTEMPTS} attempts\b", wait="backoff"),
    Fault("unavailable_503", "503", {"status": 503}, 503, MAX_ATTEMPTS,
          rf"HTTP 503\b.*\b{MAX_ATTEMPTS} attempts\b", wait="backoff"),
    Fault("reset", "connection reset", {"action": "reset"}, "reset", MAX_ATTEMPTS,
          rf"Connection reset by peer \(gave up after {MAX_ATTEMPTS} attempts;", wait="backoff"),
    Fault("closed", "connection closed without a response", {"action": "close"}, "close",
          MAX_ATTEMPTS, rf"Empty reply from server \(gave up after {MAX_ATTEMPTS} attempts;",
          wait="backoff"),
    Fault("slow", f"answer later than the deadline ({TIMEOUT + 2} s)",
          {"delay_ms": (TIMEOUT + 2) * 1000}, None, 1, r"did not answer in time",
          hint=rf"\(timeoutSeconds is {TIMEOUT};"),
    Fault("truncated", "body shorter than its Content-Length", {"action": "truncate"}, "truncate",
          MAX_ATTEMPTS, r"transfer closed with \d+ bytes remaining to read "
                        rf"\(gave up after {MAX_ATTEMPTS} attempts;", wait="backoff"),
    Fault("html", "200 with an HTML body",
          {"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
           "body": "<html><body><h1>Proxy sign-in required</h1></body></html>"},
          200, 1, r"(answered|HTTP) 200 without (access_token and expires_in|a refresh_token)"),
    Fault("huge", "200 with a 20 MiB body",
          {"status": 200, "body": '{"access_token": "', "body_bytes": HUGE_BYTES},
          200, 1, r"sent a response larger than 1048576 bytes"),
)


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str          # the fake's fault endpoint
    title: str
    before: tuple      # what the fake records, in every cell, ahead of the faulted requests
    needs_root: bool = False
    challenged: bool = False  # its first request is a challenge that the fault leaves alone


ENDPOINTS = (
    Endpoint("entra", "Entra ID token (client secret)", ()),
    Endpoint("exchange", "ACR exchange", (("entra", 200),)),
    Endpoint("himds", "Azure Arc HIMDS (token request)", (("himds", 401),), needs_root=True,
             challenged=True),
    Endpoint("imds", "Azure VM IMDS", ()),
)
VARIANTS = ("no_cache", "cached")



@dataclasses.dataclass
class Observation:
    returncode: object = None  # None: the plugin hung and was killed
    stdout: str = ""
    stderr: str = ""
    elapsed: float = 0.0
    requests: list = dataclasses.field(default_factory=list)
    primed_password: str = None
    prime_failure: str = ""    # why priming the cache failed, if it did


class Lane:
    """One fake, one endpoint, one variant: runs that column's cells one after another."""

    def __init__(self, fake, endpoint, cached, workdir):
        self.fake, self.endpoint, self.cached = fake, endpoint, cached
        self.workdir = workdir
        self.key_files = set()  # Arc challenge keys the fake wrote for this lane
        self.secret_path = write_secret(self.new_dir("secret-") / "client-secret", SECRET)

    def new_dir(self, prefix):
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.workdir))

    def login_server(self):
        return f"localhost:{self.fake.ports['tls']}"

    def config(self, cache_dir):
        identity = {
            "entra": self.secret_identity, "exchange": self.secret_identity,
            "himds": lambda: {"managedIdentity": "arc",
                              "managedIdentityEndpoint": self.fake.identity_endpoint("himds")},
            "imds": lambda: {"managedIdentity": "imds",
                             "managedIdentityEndpoint": self.fake.identity_endpoint("imds")},
        }[self.endpoint.name]()
        path = self.new_dir("config-") / "config.json"
        return write_secret(path, json.dumps({
            **identity, "registries": [self.login_server()], "caBundleFile": self.fake.ca,
            "cacheDir": str(cache_dir), "timeoutSeconds": TIMEOUT}))

    def secret_identity(self):
        return {"tenantId": TENANT, "clientId": CLIENT, "clientSecretFile": str(self.secret_path),
                "authorityHost": f"https://localhost:{self.fake.ports['tls']}"}

    def invoke(self, config, verbose=False):
        """Run the plugin; returns (CompletedProcess or None if it hung, seconds it took)."""
        args = [plugin_binary(), *(["-v", "1"] if verbose else []), "--config", str(config)]
        stdin = json.dumps(request(V1, f"{self.login_server()}/team/app")).encode()
        started = time.monotonic()
        try:
            result = subprocess.run(args, input=stdin, capture_output=True, env=plugin_env(),
                                    cwd=self.new_dir("cwd-"), timeout=TIMEOUT + 30)
        except subprocess.TimeoutExpired:
            result = None
        return result, time.monotonic() - started

    def arm(self, fault):
        """Every request to the endpoint fails with `fault`; for HIMDS, every one after the
        challenge (a queue long enough for more attempts than the policy allows)."""
        if self.endpoint.challenged:
            self.fake.faults(self.endpoint.name, [{}] + [fault.spec] * (MAX_ATTEMPTS + 2))
        else:
            self.fake.faults(self.endpoint.name, [fault.spec], always=True)

    def prime(self, cache_dir, config, observation):
        """One good run, then its ACR entry aged past half its life; False if that failed."""
        result, _ = self.invoke(config)
        if result is None or result.returncode != 0:
            observation.prime_failure = f"priming run: {result and result.stderr.decode()!r}"
            return False
        auth = json.loads(result.stdout)["auth"]
        observation.primed_password = auth[self.login_server()]["password"]
        entries = sorted(cache_dir.glob("acr-*.json"))
        if len(entries) != 1:
            observation.prime_failure = f"expected one ACR cache entry, found {entries}"
            return False
        age_entry(entries[0], PAST_HALF_LIFE)
        return True

    def forget_requests(self):
        """Reset the fake (requests and faults); returns the requests it had seen."""
        requests = self.fake.requests()
        self.key_files.update(r["key_file"] for r in requests if "key_file" in r)
        self.fake.reset()
        return requests

    def run(self, fault):
        observation = Observation()
        cache_dir = self.new_dir("cache-")
        config = self.config(cache_dir)
        if self.cached and not self.prime(cache_dir, config, observation):
            return observation
        self.forget_requests()
        self.arm(fault)
        result, observation.elapsed = self.invoke(config, verbose=self.cached)
        observation.requests = self.forget_requests()
        if result is not None:
            observation.returncode = result.returncode
            observation.stdout = result.stdout.decode("utf-8", "replace")
            observation.stderr = result.stderr.decode("utf-8", "replace")
        return observation

    def run_all(self):
        return {fault.name: self.run(fault) for fault in FAULTS}


def stop_fakes(fakes):
    """Stop the fakes in parallel; raises the first one's error (a crashed fake)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(len(fakes), 1)) as pool:
        stopped = [pool.submit(fake.__exit__, None, None, None) for fake in fakes]
    for future in stopped:
        future.result()


def can_run(endpoint):
    return not endpoint.needs_root or os.geteuid() == 0


class FaultMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.observations = {}  # (endpoint name, fault name, variant) -> Observation
        cls.workdir = Path(tempfile.mkdtemp(prefix="acrcp-FaultMatrixTest-"))
        cls.addClassCleanup(shutil.rmtree, cls.workdir, ignore_errors=True)
        if os.geteuid() == 0:
            use_arc_key_directory(cls)
        keys = [(endpoint, variant) for endpoint in filter(can_run, ENDPOINTS)
                for variant in VARIANTS]
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(keys)) as pool:
            fakes = cls.start_fakes(pool, [f"fake-{e.name}-{v}" for e, v in keys])
            lanes = {(e.name, v): Lane(fake, e, v == "cached", cls.workdir)
                     for (e, v), fake in zip(keys, fakes)}
            cls.addClassCleanup(cls.remove_key_files, lanes.values())
            futures = {key: pool.submit(lane.run_all) for key, lane in lanes.items()}
            for (endpoint, variant), future in futures.items():
                for fault, observation in future.result().items():
                    cls.observations[endpoint, fault, variant] = observation
        cls.ports = {key: lane.fake.ports for key, lane in lanes.items()}
        if os.environ.get("ACRCP_FAULT_TABLE"):
            Path(os.environ["ACRCP_FAULT_TABLE"]).write_text(markdown_tables(cls.observations))

    @classmethod
    def start_fakes(cls, pool, names):
        """One fake per name, started (and at the end stopped) in parallel: each takes about a
        second either way."""
        fakes = [FakeAzure(cls.workdir / name, SCENARIO) for name in names]
        started = [pool.submit(fake.__enter__) for fake in fakes]
        cls.addClassCleanup(stop_fakes, [fake for fake, future in zip(fakes, started)
                                         if future.exception() is None])
        for future in started:
            future.result()
        return fakes

    @staticmethod
    def remove_key_files(lanes):
        for lane in lanes:
            for path in lane.key_files:
                Path(path).unlink(missing_ok=True)

    # ---------------------------------------------------------------- assertions per cell

    def check_cell(self, endpoint, fault, variant):
        if not can_run(endpoint):
            self.skipTest("the Arc key directory /var/opt/azcmagent/tokens needs root")
        observation = self.observations[endpoint.name, fault.name, variant]
        self.assertEqual(observation.prime_failure, "")
        self.assertIsNotNone(observation.returncode,
                             f"the plugin hung: killed after {observation.elapsed:.1f} s")
        self.assertNotIn(SECRET, observation.stdout + observation.stderr)
        ports = self.ports[endpoint.name, variant]
        where = {
            "entra": rf"Entra ID sign-in for client {CLIENT}( in tenant {TENANT})? failed: .*"
                     rf"\blocalhost:{ports['tls']}\b",
            "exchange": rf"ACR token exchange at localhost:{ports['tls']} failed: ",
            "himds": rf"Azure Arc managed identity at 127\.0\.0\.1:{ports['himds']} ",
            "imds": rf"Azure VM managed identity at 127\.0\.0\.1:{ports['imds']} ",
        }[endpoint.name]
        if variant == "cached":
            self.assert_cached_token_served(observation, ports, where, fault)
        else:
            self.assert_failure(observation, where, fault)
        self.assert_attempts(observation, endpoint, fault)
        self.assertLess(observation.elapsed, TIMEOUT + SLACK)
        if fault.name == "slow":  # it waited for the answer until the deadline, not less
            self.assertGreater(observation.elapsed, TIMEOUT - 0.2)

    def assert_failure(self, observation, where, fault):
        self.assertEqual(observation.returncode, 1, observation.stderr)
        self.assertEqual(observation.stdout, "")
        lines = observation.stderr.splitlines()
        self.assertEqual(len(lines), 1, observation.stderr)
        self.assertRegex(lines[0], rf"^acr-credential-provider: {where}")
        self.assertRegex(lines[0], fault.cause)
        if fault.hint:
            self.assertRegex(lines[0], fault.hint)

    def assert_cached_token_served(self, observation, ports, where, fault):
        self.assertEqual(observation.returncode, 0, observation.stderr)
        response = json.loads(observation.stdout)
        registry = f"localhost:{ports['tls']}"
        self.assertEqual(response["auth"][registry]["password"], observation.primed_password)
        # The kubelet may keep it for half of what is left of it.
        self.assertLessEqual(go_duration_seconds(response["cacheDuration"]), PAST_HALF_LIFE[1] / 2)
        stale = [line for line in observation.stderr.splitlines() if STALE_MESSAGE in line]
        self.assertEqual(len(stale), 1, observation.stderr)
        self.assertIn(f"{STALE_MESSAGE} for {registry} ", stale[0])
        self.assertRegex(stale[0], where)
        self.assertRegex(stale[0], fault.cause)

    def assert_attempts(self, observation, endpoint, fault):
        requests = observation.requests
        self.assertEqual(summary(requests),
                         [*endpoint.before, *[(endpoint.name, fault.recorded)] * fault.attempts])
        times = [r["t"] for r in requests[len(endpoint.before):]]
        for attempt, gap in enumerate((b - a for a, b in zip(times, times[1:])), start=1):
            if fault.wait == "backoff":
                full = BASE_DELAY * 2 ** (attempt - 1)
                low, high = full / 2, full
            else:
                low = high = fault.wait
            self.assertGreaterEqual(gap, low - 0.02, f"wait before attempt {attempt + 1}")
            self.assertLessEqual(gap, high + GAP_TOLERANCE, f"wait before attempt {attempt + 1}")


def add_cell_tests():
    for endpoint in ENDPOINTS:
        for fault in FAULTS:
            for variant in VARIANTS:
                def test(self, endpoint=endpoint, fault=fault, variant=variant):
                    self.check_cell(endpoint, fault, variant)
                test.__doc__ = f"{endpoint.title} x {fault.title} ({variant.replace('_', ' ')})"
                setattr(FaultMatrixTest, f"test_{endpoint.name}_{fault.name}_{variant}", test)


add_cell_tests()


def cell_text(observation, endpoint):
    if observation is None:
        return "not run"
    if observation.prime_failure or observation.returncode is None:
        return "**error**" if observation.prime_failure else "**hung**"
    attempts = len(observation.requests) - len(endpoint.before)
    return f"exit {observation.returncode} · {attempts} · {observation.elapsed:.1f} s"


def markdown_tables(observations):
    """The observed matrix: one table per variant, rows faults, columns endpoints."""
    captions = {
        "no_cache": "No cached token: the fault fails the invocation.",
        "cached": f"A cached ACR refresh token past half its life ({PAST_HALF_LIFE[1]} s left): "
                  "the refresh hits the fault and the cached token is served.",
    }
    out = [f"Each cell: exit code · attempts at the faulted endpoint · wall time "
           f"(timeoutSeconds {TIMEOUT}; retries back off from {BASE_DELAY} s with jitter).", ""]
    for variant in VARIANTS:
        out += [captions[variant], "",
                "| fault | " + " | ".join(e.title for e in ENDPOINTS) + " |",
                "|---|" + "---|" * len(ENDPOINTS)]
        for fault in FAULTS:
            cells = [cell_text(observations.get((e.name, fault.name, variant)), e)
                     for e in ENDPOINTS]
            out.append(f"| {fault.title} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    unittest.main()
