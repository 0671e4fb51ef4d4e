"""Shared set-up of the end-to-end tests: the fake Entra ID + ACR token service, a real
docker-registry behind it as the registry API of myacr.azurecr.io, and a small image pushed
there with the registry's admin user, as an operator would before nodes pull it.

Clients reach "myacr.azurecr.io" through the fake's CONNECT proxy (HTTPS_PROXY), so every
name is the real one and TLS is verified against the fake's CA throughout.
"""

import base64
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import (API_VERSIONS, CLEAN_PATH, NULL_GUID, IntegrationTestCase,  # noqa: E402
                     request, write_secret)
from oci_image import build_oci_image, hello_files  # noqa: E402
from registry import DockerRegistry  # noqa: E402

SKOPEO = "/usr/bin/skopeo"
LOGIN_SERVER = "myacr.azurecr.io"
REPOSITORY = "e2e/hello"
TAG = "v1"
IMAGE = f"{LOGIN_SERVER}/{REPOSITORY}:{TAG}"
TENANT = "6e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
CLIENT = "3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d"
CLIENT_WITHOUT_ACRPULL = "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"
SECRET = "Kp7Q~e2e.Wv_4Rb-9nLxZc3tY6uI1oP8aS5dF2gH"
NO_ACRPULL_SECRET = "Mn2Q~e2e.Bx_7Tc-1qWeRt5yU8iO3pA6sD9fG4hJ"
ADMIN_USER = "myacr"
ADMIN_PASSWORD = "e2e-admin-Pw7kQ2xZ9vB4"

SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]},
                                  CLIENT_WITHOUT_ACRPULL: {"secrets": [NO_ACRPULL_SECRET]}}}},
    "registries": {LOGIN_SERVER: {"acrpull": [CLIENT],
                                  "admin": {"username": ADMIN_USER, "password": ADMIN_PASSWORD}}},
}
# Trust everything: image signatures are not what these tests are about.
POLICY = {"default": [{"type": "insecureAcceptAnything"}]}


def basic_credentials(recorded):
    """(username, password) of a recorded request's Basic Authorization header, or None."""
    scheme, _, value = recorded["headers"].get("authorization", "").partition(" ")
    if scheme != "Basic":
        return None
    return tuple(base64.b64decode(value).decode().split(":", 1))


class RegistryTestCase(IntegrationTestCase):
    """IntegrationTestCase plus, per class, the registry behind the fake and the pushed image.

    Every test still starts with no recorded requests and the class's scenario; the registry
    and its contents stay for the whole class.
    """

    scenario = SCENARIO

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        state = cls.fake.state_dir
        cls.registry = cls.enterClassContext(DockerRegistry(
            cls.workdir / "registry", LOGIN_SERVER, cls.fake.ports["registry_token_cert"],
            state / "server.pem", state / "server.key", cls.fake.ca))
        cls.fake.set_registry_upstream(cls.registry.url, cls.fake.ca)
        # Containers' tools trust the CA certificates (*.crt) in a --cert-dir.
        cls.cert_dir = cls.workdir / "certs"
        cls.cert_dir.mkdir()
        (cls.cert_dir / "ca.crt").write_bytes(Path(cls.fake.ca).read_bytes())
        cls.image = build_oci_image(cls.workdir / "image", TAG, hello_files())
        admin_auth = cls.auth_file(cls.workdir / "admin-auth.json", ADMIN_USER, ADMIN_PASSWORD)
        push = cls.skopeo("copy", "--dest-authfile", str(admin_auth), "--dest-cert-dir",
                          str(cls.cert_dir), f"oci:{cls.image.layout}:{TAG}", f"docker://{IMAGE}")
        if push.returncode != 0:
            raise RuntimeError(f"pushing the test image failed:\n{push.stderr}\n"
                               f"registry log:\n{cls.registry.log_tail()}")

    @classmethod
    def proxy_env(cls):
        return {"HTTPS_PROXY": f"http://127.0.0.1:{cls.fake.ports['proxy']}"}

    @classmethod
    def skopeo(cls, *args, env=None, timeout=60):
        """Run skopeo as a node's tool would: through the proxy, with a home and temp dir of its
        own (no auth file of the machine's is read) and a trust-everything policy."""
        home = cls.workdir / "skopeo-home"
        if not home.exists():
            home.mkdir()
            (home / "policy.json").write_text(json.dumps(POLICY))
        return subprocess.run(
            [SKOPEO, "--policy", str(home / "policy.json"), "--tmpdir", str(home), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
            env={"PATH": CLEAN_PATH, "HOME": str(home), **cls.proxy_env(), **(env or {})})

    @staticmethod
    def auth_file(path, username, password):
        """A containers auth file (mode 0600) holding one login for the login server, so the
        password never appears on a command line."""
        auth = base64.b64encode(f"{username}:{password}".encode()).decode()
        return write_secret(path, json.dumps({"auths": {LOGIN_SERVER: {"auth": auth}}}))

    def plugin_config(self, client=CLIENT, secret=SECRET):
        """A node config as a kubelet's plugin would have it, written to a 0600 file."""
        return self.write_config({"tenantId": TENANT, "clientId": client,
                                  "clientSecretFile": str(self.secret_file(secret)),
                                  "caBundleFile": self.fake.ca,
                                  "cacheDir": str(self.new_dir("cache-"))})

    def run_kubelet_plugin(self, client=CLIENT, secret=SECRET):
        """The plugin run as the kubelet runs it, for IMAGE; returns the CompletedProcess."""
        return self.run_plugin(["--config", str(self.plugin_config(client, secret))],
                               request(API_VERSIONS[0], IMAGE), env=self.proxy_env())

    def plugin_credentials(self):
        """(username, password) the plugin hands the kubelet for the login server."""
        response = self.assert_success(self.run_kubelet_plugin())
        self.assertEqual(list(response["auth"]), [LOGIN_SERVER])
        credentials = response["auth"][LOGIN_SERVER]
        self.assertEqual(credentials["username"], NULL_GUID)
        return credentials["username"], credentials["password"]

    def registry_failure(self, result):
        """A failure message with what the client and the registry said."""
        return (f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}\n"
                f"registry log:\n{self.registry.log_tail()}")
