#!/usr/bin/python3
"""The shared on-disk token cache (config key cacheDir), end to end against the fakes.

Each test gets a fresh cache dir and reaches the fakes by the real host names through the
fake's CONNECT proxy, so two genuine ACR registries (myacr, otheracr) are served by one
identity. Entries are looked at and tampered with directly: acr-<hex>.json holds the ACR
refresh token for one registry; the Entra access token is never written to disk. Every test asserts the exact
requests the fakes saw. Needs $ACRCP_BINARY; the crash-while-writing tests need gdb.
"""

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import shutil
import stat
import subprocess
import time
import unittest
from pathlib import Path

from harness import (API_VERSIONS, IntegrationTestCase, go_duration_seconds, jwt_claims,
                     plugin_binary, plugin_env, request, stdin_bytes, summary, write_secret)

TENANT = "4e7a1c2b-3d5f-4a6e-8b9c-0d1e2f3a4b5c"
CLIENT = "5f8b2d3c-4e6a-4b7f-9c0d-1e2f3a4b5c6d"
SECRET = "Kp7Q~cache.Tb_4Wn-8mRzYc2vE5uA9sD1fG3hJ6pLq"
ROTATED_SECRET = "Mv2Q~rotated.Hx_7Ls-1nQwEr4tY6uI8oP0aSdFg"   # a second secret of the same app
REGISTRY = "myacr.azurecr.io"
OTHER_REGISTRY = "otheracr.azurecr.io"
V1 = API_VERSIONS[0]
NOBODY = 65534  # an owner that is not us: Debian's nobody/nogroup

SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET, ROTATED_SECRET]}}}},
    "registries": {REGISTRY: {"acrpull": [CLIENT]}, OTHER_REGISTRY: {"acrpull": [CLIENT]}},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}
COLD = [("entra", 200), ("exchange", 200)]
ENTRY_FIELDS = {"version", "key", "token", "obtainedAt", "expiresAt", "registry", "renewable"}
ENTRY_NAME = re.compile(r"^acr-[0-9a-f]{64}\.json$")
STALE_MESSAGE = "refresh failed, serving the cached token"

# Entry ages (seconds since obtainedAt, seconds until expiresAt) that the tests plant.
PAST_HALF_LIFE = (1000, 300)   # stale, yet usable while a refresh fails (> 60 s left)
NEAR_EXPIRY = (1000, 50)       # under 60 s left: never served

POLL_SECONDS = 0.05
WAIT_SECONDS = 20  # bound on every wait for another process; the fakes answer in milliseconds


def image_request(registry):
    return request(V1, f"{registry}/team/app")


def read_entry(path):
    return json.loads(Path(path).read_text())


def rewrite_entry(path, **fields):
    """Change fields of an entry in place, keeping it a private file of ours (0600)."""
    write_secret(path, json.dumps({**read_entry(path), **fields}))


def age_entry(path, age):
    """Make `path` look obtained `age[0]` seconds ago and expiring in `age[1]` seconds."""
    now = int(time.time())
    rewrite_entry(path, obtainedAt=now - age[0], expiresAt=now + age[1])


def is_locked(path):
    """Whether another process holds the flock on `path` right now."""
    with open(path, "rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


@contextlib.contextmanager
def held_lock(path):
    """Hold the flock on `path` from this process, as a stuck plugin would."""
    with open(path, "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@dataclasses.dataclass
class StartedPlugin:
    process: subprocess.Popen
    stdin_fd: int      # write end of the plugin's stdin pipe, until release()
    registry: str


class CacheTest(IntegrationTestCase):
    """Shared plumbing: configs, invocations and entry inspection (the tests are below)."""

    scenario = SCENARIO

    def setUp(self):
        super().setUp()
        self.cache_dir = self.new_dir("cache-")
        self.secret_path = self.secret_file(SECRET)

    # ---------------------------------------------------------------- running the plugin

    def config(self, **changes):
        """Write a working node config using this test's cache dir; returns its path."""
        return self.write_config({"tenantId": TENANT, "clientId": CLIENT,
                                  "clientSecretFile": str(self.secret_path),
                                  "caBundleFile": self.fake.ca, "cacheDir": str(self.cache_dir),
                                  **changes})

    def env(self):
        return {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"}

    def plugin_args(self, config, verbose):
        return [*(["-v", "1"] if verbose else []), "--config", str(config)]

    def invoke(self, config=None, registry=REGISTRY, verbose=False):
        return self.run_plugin(self.plugin_args(config or self.config(), verbose),
                               image_request(registry), env=self.env())

    def password(self, result, registry=REGISTRY):
        """The password of a successful response for `registry`."""
        return self.assert_success(result)["auth"][registry]["password"]

    def prime(self, registry=REGISTRY, config=None):
        """One successful invocation; returns its password. Then resets the fake (requests
        and faults), so what a test asserts afterwards is only what came after."""
        password = self.password(self.invoke(config, registry), registry)
        self.fake.reset()
        return password

    def start_plugin(self, config, registry=REGISTRY):
        """Start a plugin that blocks reading its request until release() hands it over.

        So a batch of these is certainly all running before any of them can finish.
        """
        read_end, write_end = os.pipe()  # not inherited: a sibling never holds our EOF back
        try:
            process = subprocess.Popen(
                [plugin_binary(), *self.plugin_args(config, verbose=False)], stdin=read_end,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=plugin_env(self.env()),
                cwd=self.new_dir("cwd-"))
        finally:
            os.close(read_end)
        return StartedPlugin(process, write_end, registry)

    @staticmethod
    def release(plugin):
        """Write a started plugin's request and close its stdin."""
        with os.fdopen(plugin.stdin_fd, "wb") as stdin:
            stdin.write(stdin_bytes(image_request(plugin.registry)))

    def finish(self, plugin):
        """Wait for a released plugin; returns its checked CompletedProcess."""
        stdout, stderr = plugin.process.communicate(timeout=60)
        return self.checked_result(subprocess.CompletedProcess(
            plugin.process.args, plugin.process.returncode, stdout, stderr))

    def invoke_concurrently(self, config, registries):
        """One plugin per entry of `registries`, all started before any gets its request."""
        started = [self.start_plugin(config, registry) for registry in registries]
        for plugin in started:
            self.release(plugin)
        return [self.finish(plugin) for plugin in started]

    def wait_for_request(self, endpoint, process):
        """Poll until the fakes saw a request to `endpoint` (bounded; fails if `process` exits)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if any(r["endpoint"] == endpoint for r in self.fake.requests()):
                return
            self.assertIsNone(process.poll(), "the plugin exited before reaching the fake")
            time.sleep(POLL_SECONDS)
        self.fail(f"no {endpoint} request within {WAIT_SECONDS} s")

    # ---------------------------------------------------------------- cache entries

    def use_fresh_cache_dir(self):
        """Start over with an empty cache dir and a reset fake (for one subTest of many)."""
        self.cache_dir = self.new_dir("cache-")
        self.fake.reset()

    def entries(self, kind="acr"):
        """The entry files in the cache dir whose names start with `kind`."""
        return sorted(self.cache_dir.glob(f"{kind}-*.json"))

    def the_entry(self, kind):
        entries = self.entries(kind)
        self.assertEqual(len(entries), 1, entries)
        return entries[0]

    def acr_entry(self, registry=REGISTRY):
        """The ACR entry whose token was issued for `registry` (keys are opaque hashes)."""
        matches = [path for path in self.entries("acr")
                   if jwt_claims(read_entry(path)["token"])["aud"] == registry]
        self.assertEqual(len(matches), 1, f"ACR entries for {registry}: {matches}")
        return matches[0]

    def temporaries(self):
        return sorted(path.name for path in self.cache_dir.iterdir() if ".json.tmp." in path.name)

    def assert_valid_entry(self, path, token=None):
        """A regular 0600 file of ours holding a version 1 entry named after its file."""
        info = os.lstat(path)
        self.assertTrue(stat.S_ISREG(info.st_mode), f"{path} is not a regular file")
        self.assertEqual(info.st_uid, os.geteuid())
        self.assertEqual(stat.S_IMODE(info.st_mode), 0o600)
        self.assertRegex(path.name, ENTRY_NAME)
        entry = read_entry(path)
        self.assertEqual(set(entry), ENTRY_FIELDS)
        self.assertEqual(entry["version"], 1)
        self.assertEqual(entry["key"], path.name.removesuffix(".json"))
        self.assertLess(entry["obtainedAt"], entry["expiresAt"])
        self.assertEqual(entry["registry"], jwt_claims(entry["token"])["aud"])
        self.assertIs(entry["renewable"], True)
        if token is not None:
            self.assertEqual(entry["token"], token)
        return entry

    def assert_cache_duration(self, result, expected, tolerance=5):
        """cacheDuration within `tolerance` seconds below `expected` (the clock moves on)."""
        seconds = go_duration_seconds(self.assert_success(result)["cacheDuration"])
        self.assertLessEqual(seconds, expected)
        self.assertGreaterEqual(seconds, expected - tolerance)


class SharingTest(CacheTest):
    """Invocations share tokens through the cache instead of asking Azure again."""

    def test_concurrent_cold_invocations_make_one_entra_request_and_one_exchange(self):
        # Slow answers keep the first plugin in its requests while the other 49 queue up.
        self.fake.set_scenario({**SCENARIO, "delay_ms": 200})
        results = self.invoke_concurrently(self.config(), [REGISTRY] * 50)
        passwords = {self.password(result) for result in results}
        self.assertEqual(len(passwords), 1)
        self.assertEqual(summary(self.fake.requests()), COLD)
        self.assert_valid_entry(self.the_entry("acr"), token=passwords.pop())

    def test_second_registry_signs_in_again_and_no_entra_token_is_stored(self):
        self.prime(REGISTRY)
        self.password(self.invoke(registry=OTHER_REGISTRY), OTHER_REGISTRY)
        requests = self.fake.requests()
        self.assertEqual(summary(requests), COLD)
        self.assertEqual(len(self.entries("acr")), 2)
        self.assertEqual(sorted(self.cache_dir.glob("*.json")), self.entries("acr"))
        # Any registry the identity may pull from would take the Entra token: not on disk.
        entra_token = requests[1]["form"]["access_token"]
        for path in self.cache_dir.iterdir():
            self.assertNotIn(entra_token.encode(), path.read_bytes(), path)

    def test_concurrent_warm_invocations_make_no_request(self):
        primed = {registry: self.prime(registry) for registry in (REGISTRY, OTHER_REGISTRY)}
        registries = [REGISTRY, OTHER_REGISTRY] * 10
        results = self.invoke_concurrently(self.config(), registries)
        self.assertEqual([self.password(result, registry)
                          for result, registry in zip(results, registries)],
                         [primed[registry] for registry in registries])
        self.assertEqual(self.fake.requests(), [])

    def test_cache_hit_answers_with_half_the_remaining_lifetime_up_to_the_maximum(self):
        password = self.prime()
        hit = self.invoke(self.config(maxCacheDurationSeconds=86400))
        self.assertEqual(self.password(hit), password)
        self.assertEqual(self.fake.requests(), [])
        # The fake's refresh tokens live 3 h, so the kubelet may keep this one about 1.5 h.
        self.assert_cache_duration(hit, SCENARIO["refresh_token_lifetime_seconds"] / 2)
        self.assertEqual(self.assert_success(self.invoke())["cacheDuration"], "1h0m0s")

    def test_rotated_secret_gets_new_tokens_under_new_keys(self):
        old_password = self.prime()
        write_secret(self.secret_path, ROTATED_SECRET)
        new_password = self.password(self.invoke())
        self.assertEqual(summary(self.fake.requests()), COLD)
        self.assertEqual(self.fake.requests()[0]["form"]["client_secret"], ROTATED_SECRET)
        self.assertNotEqual(new_password, old_password)
        self.assertEqual(len(self.entries("acr")), 2)


class FreshnessTest(CacheTest):
    """When an entry is served, refreshed, or served because a refresh failed."""

    def assert_refreshed_when_aged(self, age):
        old_password = self.prime()
        age_entry(self.acr_entry(), age)
        new_password = self.password(self.invoke())
        self.assertEqual(summary(self.fake.requests()), COLD)
        self.assertNotEqual(new_password, old_password)
        self.assert_valid_entry(self.acr_entry(), token=new_password)

    def test_entry_with_less_than_a_minute_left_is_refreshed(self):
        self.assert_refreshed_when_aged(NEAR_EXPIRY)

    def test_entry_past_half_life_is_refreshed_while_azure_is_up(self):
        self.assert_refreshed_when_aged(PAST_HALF_LIFE)

    def age_all_and_take_entra_down(self, age):
        """Age the ACR entries to `age`, so a refresh has to go to Entra, which then answers
        503 forever."""
        for path in self.entries("acr"):
            age_entry(path, age)
        self.fake.faults("entra", [{"status": 503}], always=True)

    def assert_only_failed_entra_requests(self):
        requests = summary(self.fake.requests())
        self.assertGreaterEqual(len(requests), 1)
        self.assertEqual(set(requests), {("entra", 503)})

    def test_stale_entry_is_served_while_entra_is_down(self):
        password = self.prime()
        self.age_all_and_take_entra_down(PAST_HALF_LIFE)
        result = self.invoke(self.config(timeoutSeconds=2), verbose=True)
        self.assertEqual(self.password(result), password)
        self.assertIn(STALE_MESSAGE, result.stderr)
        self.assert_only_failed_entra_requests()
        self.assert_cache_duration(result, PAST_HALF_LIFE[1] / 2)

    def test_new_registry_fails_while_entra_is_down(self):
        self.prime(REGISTRY)
        self.fake.faults("entra", [{"status": 503}], always=True)
        line = self.assert_failure(self.invoke(self.config(timeoutSeconds=2),
                                               registry=OTHER_REGISTRY))
        self.assertIn("503", line)
        self.assert_only_failed_entra_requests()

    def test_entry_with_less_than_a_minute_left_is_not_served_while_entra_is_down(self):
        self.prime()
        self.age_all_and_take_entra_down(NEAR_EXPIRY)
        line = self.assert_failure(self.invoke(self.config(timeoutSeconds=2)))
        self.assertIn("503", line)
        self.assert_only_failed_entra_requests()


def corrupt_not_json(path, _other):
    write_secret(path, "{not json")


def corrupt_truncated(path, _other):
    write_secret(path, path.read_text()[:40])


def corrupt_empty(path, _other):
    write_secret(path, "")


def corrupt_version(path, _other):
    rewrite_entry(path, version=2)


def corrupt_copy_of_other_key(path, other):
    shutil.copyfile(other, path)  # a genuine entry, but for OTHER_REGISTRY's key


def corrupt_oversized(path, _other):
    rewrite_entry(path, padding="x" * (64 * 1024))  # otherwise valid JSON of version 1


def corrupt_fifo(path, _other):
    path.unlink()
    os.mkfifo(path, 0o600)  # not a regular file; opening it must not block the plugin


def corrupt_symlink(path, other):
    path.unlink()
    path.symlink_to(other)  # a genuine 0600 entry behind a link: still not ours to trust


def corrupt_directory(path, _other):
    path.unlink()
    path.mkdir(mode=0o700)  # must not keep the entry from ever being written again


def corrupt_world_readable(path, _other):
    os.chmod(path, 0o644)


def corrupt_foreign_owner(path, _other):
    os.chown(path, NOBODY, NOBODY)


class UntrustedEntryTest(CacheTest):
    """Entries that are damaged or not provably ours are ignored and replaced, never served."""

    def test_untrusted_acr_entry_is_refreshed_and_replaced(self):
        corruptions = [corrupt_not_json, corrupt_truncated, corrupt_empty, corrupt_version,
                       corrupt_copy_of_other_key, corrupt_oversized, corrupt_fifo,
                       corrupt_symlink, corrupt_directory, corrupt_world_readable,
                       corrupt_foreign_owner]
        for corrupt in corruptions:
            with self.subTest(corrupt.__name__):
                self.use_fresh_cache_dir()
                self.prime(REGISTRY)
                other_password = self.prime(OTHER_REGISTRY)
                path = self.acr_entry(REGISTRY)
                old_password = read_entry(path)["token"]
                corrupt(path, self.acr_entry(OTHER_REGISTRY))

                password = self.password(self.invoke())
                self.assertEqual(summary(self.fake.requests()), COLD)
                self.assertNotIn(password, (old_password, other_password))
                self.assert_valid_entry(path, token=password)
                self.assertEqual(self.temporaries(), [])


class CrashTest(CacheTest):
    """A plugin killed while holding a lock or writing an entry leaves nothing that lasts."""

    def test_killed_lock_holder_releases_its_locks(self):
        self.fake.faults("entra", [{"delay_ms": 5000}])  # keeps the first plugin inside its locks
        config = self.config(timeoutSeconds=30)
        holder = self.start_plugin(config)
        self.release(holder)
        process = holder.process
        try:
            self.wait_for_request("entra", process)
            locks = sorted(self.cache_dir.glob("*.lock"))
            self.assertEqual([path.name.split("-")[0] for path in locks], ["acr"])
            self.assertTrue(all(is_locked(path) for path in locks))
        finally:
            process.kill()
            process.communicate(timeout=WAIT_SECONDS)
        self.assertFalse(any(is_locked(path) for path in locks))

        started = time.monotonic()
        password = self.password(self.invoke(config))
        # Had it waited for the dead holder's lock it would have failed at the deadline.
        self.assertLess(time.monotonic() - started, 15)
        requests = self.fake.requests()
        self.assertEqual([r["endpoint"] for r in requests], ["entra", "entra", "exchange"])
        self.assertEqual(summary(requests[1:]), COLD)
        self.assert_valid_entry(self.the_entry("acr"), token=password)

    def crash_in(self, function, registry):
        """Run the plugin under gdb and kill it (SIGKILL) the first time it calls `function`.

        Returns the requests the killed plugin made, and forgets them.
        """
        request_file = self.new_dir("request-") / "request.json"
        request_file.write_bytes(stdin_bytes(image_request(registry)))
        gdb = ["gdb", "-q", "-batch", "-nx",
               "-ex", "set debuginfod enabled off", "-ex", "set startup-with-shell off",
               "-ex", "set breakpoint pending on", "-ex", f"break {function}",
               "-ex", "run", "-ex", "kill",
               "--args", plugin_binary(), *self.plugin_args(self.config(), verbose=False)]
        with open(request_file, "rb") as stdin:
            result = subprocess.run(gdb, stdin=stdin, capture_output=True, timeout=60,
                                    env=plugin_env(self.env()), cwd=self.new_dir("cwd-"))
        result = self.checked_result(result)
        self.assertRegex(result.stdout, r"Breakpoint 1(\.\d+)?, ", f"{function} was never called:\n"
                                                       f"{result.stdout}\n{result.stderr}")
        self.assertIn("killed]", result.stdout)
        requests = summary(self.fake.requests())
        self.fake.reset()
        return requests

    def assert_crash_in_leaves_temporary_that_next_writer_removes(self, function):
        # What the killed plugin obtained dies with it, so the next run fetches it again.
        self.assertEqual(self.crash_in(function, REGISTRY), COLD)
        leftovers = self.temporaries()
        self.assertEqual(len(leftovers), 1, leftovers)
        self.assertRegex(leftovers[0], r"^acr-[0-9a-f]{64}\.json\.tmp\.\w{6}$")

        password = self.password(self.invoke())
        self.assertEqual(summary(self.fake.requests()), COLD)
        self.assertEqual(self.temporaries(), [])
        self.assert_valid_entry(self.acr_entry(REGISTRY), token=password)

    @unittest.skipUnless(shutil.which("gdb"), "needs gdb (apt-get install gdb)")
    def test_writer_killed_before_rename_leaves_no_damage(self):
        self.assert_crash_in_leaves_temporary_that_next_writer_removes("rename")

    @unittest.skipUnless(shutil.which("gdb"), "needs gdb (apt-get install gdb)")
    def test_writer_killed_before_fsync_leaves_no_damage(self):
        self.assert_crash_in_leaves_temporary_that_next_writer_removes("fsync")


class CacheDirTest(CacheTest):
    """Only a directory that is ours and private holds tokens."""

    def assert_private_dir_with_entries(self):
        info = os.stat(self.cache_dir)
        self.assertEqual(info.st_uid, os.geteuid())
        self.assertEqual(stat.S_IMODE(info.st_mode), 0o700)
        self.assert_valid_entry(self.the_entry("acr"))

    def test_group_readable_cache_dir_is_tightened_to_0700(self):
        os.chmod(self.cache_dir, 0o755)
        self.prime()
        self.assert_private_dir_with_entries()

    def test_missing_cache_dir_is_created_0700(self):
        self.cache_dir = self.cache_dir / "tokens"
        self.prime()
        self.assert_private_dir_with_entries()

    def test_cache_dir_owned_by_another_user_is_not_used(self):
        os.chown(self.cache_dir, NOBODY, NOBODY)
        config = self.config()
        for _ in range(2):
            self.password(self.invoke(config))
            self.assertEqual(summary(self.fake.requests()), COLD)
            self.fake.reset()
        self.assertEqual(list(self.cache_dir.iterdir()), [])


class LockWaitTest(CacheTest):
    """A lock held by a stuck process is waited for only until the deadline (timeoutSeconds)."""

    TIMEOUT = 2

    def run_while_locked(self, age, verbose):
        """Prime, age the ACR entry, and run once while this process holds its lock.

        Returns (result, seconds the run took, the primed password).
        """
        config = self.config(timeoutSeconds=self.TIMEOUT)
        password = self.prime(config=config)
        entry = self.acr_entry()
        age_entry(entry, age)
        with held_lock(entry.with_suffix(".lock")):
            started = time.monotonic()
            result = self.invoke(config, verbose=verbose)
            elapsed = time.monotonic() - started
        self.assertEqual(self.fake.requests(), [])  # it never got the lock to refresh under
        # It gave up on the lock at the deadline, neither earlier nor much later.
        self.assertGreaterEqual(elapsed, self.TIMEOUT - 0.1)
        self.assertLess(elapsed, self.TIMEOUT + 3)
        return result, password

    def test_usable_entry_is_served_when_the_lock_is_not_released_in_time(self):
        result, password = self.run_while_locked(PAST_HALF_LIFE, verbose=True)
        self.assertEqual(self.password(result), password)
        self.assertIn(STALE_MESSAGE, result.stderr)
        self.assertIn("cache lock", result.stderr)

    def test_expiring_entry_fails_when_the_lock_is_not_released_in_time(self):
        result, _ = self.run_while_locked(NEAR_EXPIRY, verbose=False)
        self.assertIn("cache lock", self.assert_failure(result))

if __name__ == "__main__":
    unittest.main()
