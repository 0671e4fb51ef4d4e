#!/usr/bin/python3
"""Canary secrets: the plugin's flows run with distinctive credentials, then those, and every
token the fake issued, are looked for wherever the plugin could have put them.

Canaries: the client secret (and a wrong one, and that of an app without AcrPull), as sent
and form-encoded; a certificate's private key (each line of its PEM body, plain and
encrypted, its DER bytes, its private numbers) and the encrypted key's password; the Azure
Arc challenge keys; every Entra access token (apps' and managed identities') and registry
access token the fake issued, and every ACR refresh token.

Flows: secret (cold, cached, from AZURE_CLIENT_SECRET, through HTTPS_PROXY with that variable
set as well), certificate (-v 2; encrypted key with a password file or with
AZURE_CLIENT_CERTIFICATE_PASSWORD), VM and Arc managed identity, a wrong secret, a 401
exchange, Entra slower than timeoutSeconds, resets, a cached token served while Entra is
down, `check` (passing, failing, with a certificate) and `setup k3s`; most at -v 4.

Searched:
  - the stdout and stderr of every run;
  - every file in the directories the plugin was given (cacheDir, HOME, TMPDIR, its working
    directory, setup's --root) and everything that appeared in /tmp, /var/tmp and /dev/shm
    while a plugin ran;
  - the argv and environment of every helper process the plugin started: the plugin runs
    from a copy of the binary whose neighbour acr-credential-provider-http is a script that
    records them and then execs the real helper.
None may hold any canary; an ACR refresh token may be on the stdout of a successful kubelet
response and in cache files, nowhere else. test_the_search_finds_planted_leaks plants leaks
in copies of the real search input, so a search that cannot find them fails. The Arc flow
needs root. Needs $ACRCP_BINARY.
"""

import dataclasses
import json
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import unittest
from pathlib import Path
from urllib.parse import quote_plus

from cryptography.hazmat.primitives import serialization

from harness import (ARC_TOKENS, FakeAzure, plugin_binary, plugin_env, request,
                     use_arc_key_directory, write_secret)
from identities import encrypt_key, make_certificate
from test_cache import PAST_HALF_LIFE, STALE_MESSAGE, age_entry

TENANT = "0e4a6c8b-2d1f-4e3a-9b5c-7d9f1a3c5e7b"
SECRET_CLIENT = "1f5b7d9c-3e2a-4f4b-8c6d-8e0a2b4d6f8c"
CERT_CLIENT = "2a6c8e0d-4f3b-4a5c-9d7e-9f1b3c5e7a9d"
NO_ACRPULL_CLIENT = "3b7d9f1e-5a4c-4b6d-8e8f-0a2c4d6f8b0e"
ARC_CLIENT = "4c8e0a2f-6b5d-4c7e-9f9a-1b3d5e7a9c1f"
VM_CLIENT = "5d9f1b3a-7c6e-4d8f-8a0b-2c4e6f8b0d2a"
RUN = secrets.token_hex(4)  # canaries differ per run: nothing left over from another can match
# '+', '/', '=' and spaces make the form-encoded forms differ from the plain ones.
SECRET = f"CANARY-sec-7f3a+{RUN}/Kq~Z=9"
WRONG_SECRET = f"CANARY-bad-{RUN}+Wv/3="
NO_ACRPULL_SECRET = f"CANARY-noacr-{RUN}+Xt/5="
KEY_PASSWORD = f"CANARY-pw-{RUN} horse:battery/staple"
CERT, CERT_KEY = make_certificate("canary-node-puller")
ENCRYPTED_CERT_KEY = encrypt_key(CERT_KEY, KEY_PASSWORD)
TIMEOUT = 2
V1 = "credentialprovider.kubelet.k8s.io/v1"
PROXIED_REGISTRY = "myacr.azurecr.io"  # reached by its real name, through the fake's proxy
HELPER = "acr-credential-provider-http"
PROXY_VARIABLES = {"HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}
SYSTEM_TEMP_DIRS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
MAX_SCANNED_BYTES = 64 << 20

SCENARIO = {
    "tenants": {TENANT: {"apps": {
        SECRET_CLIENT: {"secrets": [SECRET]},
        CERT_CLIENT: {"certificates": [CERT]},
        NO_ACRPULL_CLIENT: {"secrets": [NO_ACRPULL_SECRET]},
    }}},
    "registries": {"localhost:{tls}": {"acrpull": [SECRET_CLIENT, CERT_CLIENT, ARC_CLIENT,
                                                   VM_CLIENT]},
                   PROXIED_REGISTRY: {"acrpull": [SECRET_CLIENT]}},
    "himds": {"tenant": TENANT, "system_client_id": ARC_CLIENT, "key_dir": str(ARC_TOKENS)},
    "imds": {"tenant": TENANT, "system_client_id": VM_CLIENT},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
}

# Records how the plugin started its helper, then becomes the real helper (same process, so
# the helper still sees the plugin as its parent). Absolute paths: the helper gets no PATH.
WRAPPER = """#!/bin/sh
record=$(/usr/bin/mktemp -d {records}/spawn.XXXXXX) || exit 97
printf '%s\\0' "$0" "$@" > "$record/argv" || exit 97
/usr/bin/cat /proc/$$/environ > "$record/environ" || exit 97
exec {helper} "$@"
"""


@dataclasses.dataclass
class Run:
    name: str
    expect_exit: int
    expect_text: str     # on stdout or stderr
    response: bool       # a kubelet request: on success its stdout holds the refresh token
    network: bool        # whether it has to start the helper
    verbose: bool        # run with -v: something must be on stderr
    docker: bool = False  # a Docker credential helper get: its response is {"Secret": ...}
    # Helpers started when it has to go to the network: check --image starts a second one for
    # the pull check (a repository-scoped token and a manifest HEAD) once it has signed in.
    helpers: int = 1
    returncode: int = None
    stdout: bytes = b""
    stderr: bytes = b""


@dataclasses.dataclass(frozen=True)
class Needle:
    what: str
    value: bytes
    refresh_token: bool = False  # may be in a successful response and in cache files


@dataclasses.dataclass(frozen=True)
class Haystack:
    where: str
    data: bytes
    may_hold_refresh_tokens: bool = False


def leaks(haystacks, needles):
    """"<needle> in <haystack>" for every needle found where it may not be."""
    return [f"{needle.what} in {haystack.where}" for haystack in haystacks for needle in needles
            if needle.value in haystack.data
            and not (needle.refresh_token and haystack.may_hold_refresh_tokens)]


def temp_entries():
    return {path for top in SYSTEM_TEMP_DIRS if top.is_dir() for path in top.iterdir()}


def files_under(tops):
    """`tops` that are not directories, and every path below those that are, except
    directories."""
    for top in tops:
        if not top.is_dir():
            yield top
        for directory, _, files in os.walk(top):
            yield from (Path(directory, name) for name in files)


def pem_body_lines(pem):
    return [line for line in pem.splitlines() if line and not line.startswith("-----")
            and ":" not in line]  # no header fields (Proc-Type, DEK-Info) of old formats


def credential_needles():
    """The canaries this module made up: secrets, the password and the key's every form."""
    needles = []
    for what, value in (("client secret", SECRET), ("wrong client secret", WRONG_SECRET),
                        ("secret of the app without AcrPull", NO_ACRPULL_SECRET),
                        ("key password", KEY_PASSWORD)):
        needles += [Needle(what, value.encode()),
                    Needle(f"{what} (form-encoded)", quote_plus(value).encode()),
                    Needle(f"{what} (its first 16 characters)", value[:16].encode())]
    for what, pem in (("private key", CERT_KEY), ("encrypted private key", ENCRYPTED_CERT_KEY)):
        needles += [Needle(f"{what} PEM line {number}", line.encode())
                    for number, line in enumerate(pem_body_lines(pem), 1) if len(line) >= 16]
    key = serialization.load_pem_private_key(CERT_KEY.encode(), None)
    for what, key_format in (("PKCS#8", serialization.PrivateFormat.PKCS8),
                             ("PKCS#1", serialization.PrivateFormat.TraditionalOpenSSL)):
        needles.append(Needle(f"private key {what} DER", key.private_bytes(
            serialization.Encoding.DER, key_format, serialization.NoEncryption())))
    numbers = key.private_numbers()
    for what, number in (("d", numbers.d), ("p", numbers.p), ("q", numbers.q)):
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        needles += [Needle(f"private key {what} bytes", raw),
                    Needle(f"private key {what} hex", raw.hex().encode())]
    return needles


def token_needles(issued, arc_keys):
    """Every token the fake issued (and its signature alone), every Arc challenge key."""
    needles = []
    for kind, tokens in issued.items():
        # Two sign-ins of one app within a second get the same token: search for it once.
        for number, token in enumerate(dict.fromkeys(tokens), 1):
            refresh = kind == "acr_refresh"
            needles += [Needle(f"{kind} token #{number}", token.encode(), refresh),
                        Needle(f"{kind} token #{number} signature",
                               token.rsplit(".", 1)[1].encode(), refresh)]
    needles += [Needle(f"Azure Arc challenge key #{number}", key.encode())
                for number, key in enumerate(sorted(arc_keys), 1)]
    return needles


class CanaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs = []
        cls.workdir = Path(tempfile.mkdtemp(prefix="acrcp-CanaryTest-"))
        cls.addClassCleanup(shutil.rmtree, cls.workdir, ignore_errors=True)
        # inputs: what the tests write (credentials, configs, the binary and its wrapper);
        # records: what the wrapper writes; plugin: every directory the plugin is given.
        for name in ("inputs", "records", "plugin", "plugin/caches"):
            (cls.workdir / name).mkdir()
        cls.fake = cls.enterClassContext(FakeAzure(cls.workdir / "fake", SCENARIO))
        cls.login_server = f"localhost:{cls.fake.ports['tls']}"
        cls.arc = os.geteuid() == 0
        if cls.arc:
            use_arc_key_directory(cls)
        cls.arc_key_files = set()
        cls.new_temp_entries = set()  # what appeared in SYSTEM_TEMP_DIRS while a plugin ran
        cls.addClassCleanup(cls.remove_arc_key_files)
        cls.binary = cls.install_with_wrapper()
        cls.run_flows()
        cls.forget_requests()
        cls.issued = cls.fake.issued()
        cls.arc_keys = {Path(path).read_text().strip() for path in cls.arc_key_files}

    @classmethod
    def remove_arc_key_files(cls):
        for path in cls.arc_key_files:
            Path(path).unlink(missing_ok=True)

    @classmethod
    def install_with_wrapper(cls):
        """A copy of the plugin, with the recording wrapper as the helper beside it (the
        plugin looks for its helper beside its own executable first)."""
        bin_dir = cls.workdir / "inputs" / "bin"
        bin_dir.mkdir()
        binary = bin_dir / "acr-credential-provider"
        shutil.copy2(plugin_binary(), binary)
        real_helper = Path(plugin_binary()).resolve().parent / HELPER
        wrapper = bin_dir / HELPER
        wrapper.write_text(WRAPPER.format(records=cls.workdir / "records", helper=real_helper))
        wrapper.chmod(0o755)
        return binary

    # ---------------------------------------------------------------- running the flows

    @classmethod
    def new_dir(cls, under, prefix):
        return Path(tempfile.mkdtemp(prefix=prefix, dir=cls.workdir / under))

    @classmethod
    def input_file(cls, name, value):
        return write_secret(cls.new_dir("inputs", "file-") / name, value)

    @classmethod
    def config(cls, **keys):
        """A node config (fresh cache dir unless given) for the fake's login server."""
        config = {"registries": [cls.login_server], "caBundleFile": cls.fake.ca,
                  "cacheDir": str(cls.new_dir("plugin/caches", "cache-")),
                  "timeoutSeconds": TIMEOUT, **keys}
        return cls.input_file("config.json", json.dumps(config))

    @classmethod
    def secret_identity(cls, secret=SECRET, client=SECRET_CLIENT):
        return {"tenantId": TENANT, "clientId": client, "authorityHost": cls.authority(),
                "clientSecretFile": str(cls.input_file("client-secret", secret))}

    @classmethod
    def certificate_identity(cls, key=CERT_KEY):
        identity = {"tenantId": TENANT, "clientId": CERT_CLIENT, "authorityHost": cls.authority(),
                    "clientCertificateFile": str(cls.input_file("client.pem", CERT + key))}
        if key == ENCRYPTED_CERT_KEY:
            identity["clientCertificatePasswordFile"] = str(cls.input_file("password",
                                                                           KEY_PASSWORD))
        return identity

    @classmethod
    def authority(cls):
        return f"https://localhost:{cls.fake.ports['tls']}"

    @classmethod
    def invoke(cls, run, args, stdin=b"", env=None):
        """Run the plugin copy with fresh HOME, TMPDIR and working directory; records `run`."""
        plugin_env_vars = {"HOME": str(cls.new_dir("plugin", "home-")),
                           "TMPDIR": str(cls.new_dir("plugin", "tmp-")), **(env or {})}
        cwd = cls.new_dir("plugin", "cwd-")
        temp_entries_before = temp_entries()
        result = subprocess.run([str(cls.binary), *args], input=stdin, capture_output=True,
                                env=plugin_env(plugin_env_vars), cwd=cwd, timeout=TIMEOUT + 30)
        cls.new_temp_entries |= temp_entries() - temp_entries_before
        run.returncode, run.stdout, run.stderr = result.returncode, result.stdout, result.stderr
        cls.runs.append(run)
        cls.forget_requests()
        return run

    @classmethod
    def provide(cls, name, config, verbosity=0, expect_exit=0, expect_text="", env=None,
                network=True, registry=None):
        args = ([] if verbosity == 0 else ["-v", str(verbosity)]) + ["--config", str(config)]
        stdin = json.dumps(request(V1, f"{registry or cls.login_server}/team/app")).encode()
        run = Run(name, expect_exit, expect_text, response=True, network=network,
                  verbose=verbosity > 0)
        return cls.invoke(run, args, stdin, env)

    @classmethod
    def operator(cls, name, args, expect_exit, expect_text):
        run = Run(name, expect_exit, expect_text, response=False, network=True,
                  verbose="-v" in args, helpers=2 if expect_exit == 0 else 1)
        return cls.invoke(run, [*args, "--image", f"{cls.login_server}/team/app"])

    @classmethod
    def docker_helper(cls, name, action, stdin, config, expect_exit, expect_text):
        """The Docker credential helper, its config named by ACR_CREDENTIAL_PROVIDER_CONFIG."""
        get = action == "get"
        run = Run(name, expect_exit, expect_text, response=get, network=get, verbose=False,
                  docker=True)
        return cls.invoke(run, ["docker-credential", action], stdin.encode(),
                          {"ACR_CREDENTIAL_PROVIDER_CONFIG": str(config)})

    @classmethod
    def forget_requests(cls):
        cls.arc_key_files.update(r["key_file"] for r in cls.fake.requests() if "key_file" in r)
        cls.fake.reset()

    @classmethod
    def run_flows(cls):
        cached = cls.config(**cls.secret_identity())
        cls.provide("secret", cached)
        cls.provide("secret, cached, -v 4", cached, 4, network=False)
        cls.provide("secret from AZURE_CLIENT_SECRET, -v 4", cls.config(), 4, env={
            "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": SECRET_CLIENT,
            "AZURE_CLIENT_SECRET": SECRET, "AZURE_AUTHORITY_HOST": cls.authority()})
        proxy = f"http://127.0.0.1:{cls.fake.ports['proxy']}"
        cls.provide("secret through HTTPS_PROXY, AZURE_CLIENT_SECRET set too, -v 4", cls.config(
            tenantId=TENANT, clientId=SECRET_CLIENT, registries=[],
            clientSecretFile=str(cls.input_file("client-secret", SECRET))), 4, env={
            "HTTPS_PROXY": proxy, "NO_PROXY": "127.0.0.1", "AZURE_CLIENT_SECRET": SECRET},
            registry=PROXIED_REGISTRY)
        cls.provide("certificate, -v 2", cls.config(**cls.certificate_identity()), 2)
        cls.provide("encrypted certificate key, -v 4",
                    cls.config(**cls.certificate_identity(ENCRYPTED_CERT_KEY)), 4)
        cls.provide("certificate from AZURE_CLIENT_CERTIFICATE_PATH, -v 4", cls.config(), 4, env={
            "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CERT_CLIENT,
            "AZURE_CLIENT_CERTIFICATE_PATH": str(cls.input_file("client.pem",
                                                                CERT + ENCRYPTED_CERT_KEY)),
            "AZURE_CLIENT_CERTIFICATE_PASSWORD": KEY_PASSWORD,
            "AZURE_AUTHORITY_HOST": cls.authority()})
        cls.provide("Azure VM managed identity, -v 4", cls.config(
            managedIdentity="imds", managedIdentityEndpoint=cls.fake.identity_endpoint("imds")), 4)
        if cls.arc:
            cls.provide("Azure Arc managed identity, -v 4", cls.config(
                managedIdentity="arc",
                managedIdentityEndpoint=cls.fake.identity_endpoint("himds")), 4)
        cls.run_failure_flows()
        cls.docker_helper("docker-credential get", "get", cls.login_server,
                          cls.config(**cls.secret_identity()), 0, "Secret")
        cls.docker_helper("docker-credential get with a wrong secret", "get", cls.login_server,
                          cls.config(**cls.secret_identity(WRONG_SECRET)), 1, "AADSTS7000215")
        cls.docker_helper("docker-credential store of a password", "store", json.dumps(
            {"ServerURL": cls.login_server, "Username": "admin", "Secret": SECRET}),
            cls.config(**cls.secret_identity()), 1, "cannot be stored")
        cls.operator("check, -v 4", ["check", "-v", "4", "--config",
                                     str(cls.config(**cls.secret_identity()))], 0, "result: passed")
        cls.operator("check with an encrypted certificate key", [
            "check", "--config", str(cls.config(**cls.certificate_identity(ENCRYPTED_CERT_KEY)))],
            0, "result: passed")
        cls.operator("check with a wrong secret", [
            "check", "--config", str(cls.config(**cls.secret_identity(WRONG_SECRET)))],
            1, "AADSTS7000215")
        cls.operator("setup k3s", ["setup", "k3s", "--root", str(cls.new_dir("plugin", "root-")),
                                   "--config", str(cls.config(**cls.secret_identity()))],
                     0, "systemctl restart k3s")

    @classmethod
    def run_failure_flows(cls):
        cls.provide("wrong secret, -v 4", cls.config(**cls.secret_identity(WRONG_SECRET)), 4, 1,
                    "AADSTS7000215")
        cls.provide("exchange refused (401), -v 4", cls.config(
            **cls.secret_identity(NO_ACRPULL_SECRET, NO_ACRPULL_CLIENT)), 4, 1, "AcrPull")
        cls.fake.faults("entra", [{"delay_ms": (TIMEOUT + 1) * 1000}])
        cls.provide("Entra slower than timeoutSeconds, -v 4",
                    cls.config(**cls.secret_identity()), 4, 1, "did not answer in time")
        cls.fake.faults("exchange", [{"action": "reset"}], always=True)
        cls.provide("exchange connection resets, -v 4", cls.config(**cls.secret_identity()), 4, 1,
                    "Connection reset by peer")
        stale = cls.config(**cls.secret_identity())
        cls.provide("secret, before Entra goes down", stale)
        age_entry(next((Path(json.loads(stale.read_text())["cacheDir"])).glob("acr-*.json")),
                  PAST_HALF_LIFE)
        cls.fake.faults("entra", [{"status": 503}], always=True)
        cls.provide("Entra down, cached token served, -v 4", stale, 4, 0, STALE_MESSAGE)

    # ---------------------------------------------------------------- where to search

    def needles(self):
        return credential_needles() + token_needles(self.issued, self.arc_keys)

    def output_haystacks(self):
        for run in self.runs:
            yield Haystack(f"stdout of '{run.name}'", run.stdout,
                           may_hold_refresh_tokens=run.response and run.returncode == 0)
            yield Haystack(f"stderr of '{run.name}'", run.stderr)

    def file_haystacks(self):
        """Every regular file in the plugin's directories and in what appeared in the system's
        temp directories while a plugin ran."""
        caches = self.workdir / "plugin" / "caches"
        for path in sorted(files_under([self.workdir / "plugin", *self.new_temp_entries])):
            try:
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SCANNED_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue  # gone already, or not ours to read
            yield Haystack(str(path), data, may_hold_refresh_tokens=caches in path.parents)

    def helper_spawns(self):
        """(argv, environment) of every helper the plugin started, as the wrapper saw them."""
        spawns = []
        for record in sorted((self.workdir / "records").iterdir()):
            argv = (record / "argv").read_bytes().split(b"\0")[:-1]
            environ = (record / "environ").read_bytes().split(b"\0")[:-1]
            spawns.append((record.name, [a.decode() for a in argv], [e.decode() for e in environ]))
        return spawns

    # ---------------------------------------------------------------- the flows really ran

    def test_every_flow_ran_as_intended(self):
        for run in self.runs:
            with self.subTest(run.name):
                output = (run.stdout + run.stderr).decode("utf-8", "replace")
                self.assertEqual(run.returncode, run.expect_exit, output)
                self.assertIn(run.expect_text, output)
                if run.verbose:
                    self.assertNotEqual(run.stderr, b"", "a verbose run logs on stderr")
                if run.response and run.returncode == 0 and run.docker:
                    self.assertIn(json.loads(run.stdout)["Secret"], self.issued["acr_refresh"])
                elif run.response and run.returncode == 0:
                    auth = json.loads(run.stdout)["auth"]
                    self.assertEqual(len(auth), 1)
                    self.assertIn(next(iter(auth.values()))["password"],
                                  self.issued["acr_refresh"])

    def test_the_search_has_real_input(self):
        self.assertGreaterEqual(len(self.issued["entra"]), 10)
        self.assertGreaterEqual(len(self.issued["acr_refresh"]), 10)
        if self.arc:
            self.assertEqual(len(self.arc_keys), 1)
        cache_files = [h for h in self.file_haystacks() if h.may_hold_refresh_tokens]
        refresh_tokens = [n for n in self.needles() if n.refresh_token]
        self.assertTrue(any(n.value in h.data for h in cache_files for n in refresh_tokens),
                        "no refresh token found in any cache file: the search is looking "
                        "in the wrong place")

    # ---------------------------------------------------------------- no canary where none may be

    def test_no_canary_on_stdout_or_stderr(self):
        self.assertEqual(leaks(self.output_haystacks(), self.needles()), [])

    def test_no_canary_in_any_file_the_plugin_could_write(self):
        self.assertEqual(leaks(self.file_haystacks(), self.needles()), [])

    def test_no_canary_in_the_helpers_argv_or_environment(self):
        spawns = self.helper_spawns()
        self.assertEqual(len(spawns), sum(run.helpers for run in self.runs if run.network),
                         "one helper per invocation that had to go to the network, two for a "
                         "check --image that got as far as the pull")
        wrapper = str(self.binary.parent / HELPER)
        for name, argv, environ in spawns:
            with self.subTest(name):
                self.assertEqual(leaks([Haystack(f"helper {name}", b"\0".join(
                    item.encode() for item in argv + environ))], self.needles()), [])
                self.assertEqual(argv, [wrapper, "--ca-bundle-file", self.fake.ca])
                # Names only in messages: a value could be a canary.
                self.assertLessEqual({entry.split("=", 1)[0] for entry in environ},
                                     PROXY_VARIABLES)
        passed = [environ for _, _, environ in spawns if environ]
        self.assertEqual([[entry.split("=", 1)[0] for entry in environ] for environ in passed],
                         [["HTTPS_PROXY", "NO_PROXY"]], "only the proxy flow passes any")
        proxy = f"http://127.0.0.1:{self.fake.ports['proxy']}"
        self.assertTrue(passed[0] == [f"HTTPS_PROXY={proxy}", "NO_PROXY=127.0.0.1"],
                        "the proxy variables are passed unchanged")

    def test_the_search_finds_planted_leaks(self):
        """A leak planted in a copy of each kind of real input is found; the refresh token
        where it belongs is not a leak."""
        needles = self.needles()
        stderr = next(run.stderr for run in self.runs if run.stderr)
        cache = next(h for h in self.file_haystacks() if h.may_hold_refresh_tokens)
        entra, refresh = self.issued["entra"][0].encode(), self.issued["acr_refresh"][0].encode()
        key_line = pem_body_lines(CERT_KEY)[3].encode()
        der = next(n.value for n in needles if n.what == "private key PKCS#8 DER")
        planted = [
            Haystack("stderr + secret", stderr + SECRET.encode()),
            Haystack("stderr + form-encoded secret", stderr + quote_plus(SECRET).encode()),
            Haystack("stderr + a secret's first characters", stderr + SECRET[:20].encode()),
            Haystack("stderr + password", stderr + KEY_PASSWORD.encode()),
            Haystack("stderr + refresh token", stderr + refresh),
            Haystack("stderr + an Entra token's signature", stderr + entra.rsplit(b".", 1)[1]),
            Haystack("cache + Entra token", cache.data + entra, may_hold_refresh_tokens=True),
            Haystack("helper environment + key line", b"X=" + key_line),
            Haystack("file + key DER", b"\0" * 7 + der),
        ]
        for haystack in planted:
            with self.subTest(haystack.where):
                self.assertNotEqual(leaks([haystack], needles), [])
        self.assertEqual(leaks([cache, Haystack("response", refresh, True)], needles), [])


if __name__ == "__main__":
    unittest.main()
