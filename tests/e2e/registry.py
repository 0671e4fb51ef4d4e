"""docker-registry (distribution 2.8) as the registry API of a fake ACR.

The registry listens on 127.0.0.1 (an ephemeral port, read back from its log) with TLS and
token authentication that trusts exactly the fake's ACR token service: its challenge names
https://<login server>/oauth2/token and service=<login server>, as ACR's does, and it accepts
the access tokens signed under the fake's registry-token.pem. The fake relays /v2/* of the
login server to it, so clients see one host, as with ACR.
"""

import http.client
import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))
from service_process import ServiceProcess  # noqa: E402  (path set up just above)

REGISTRY_BINARY = "/usr/bin/docker-registry"
TOKEN_ISSUER = "Azure Container Registry"  # the iss claim of ACR's (and the fake's) access tokens
LISTENING = re.compile(r"msg=\"listening on 127\.0\.0\.1:(\d+)[,\"]")


class DockerRegistry(ServiceProcess):
    """Context manager: a running docker-registry in `workdir` (config, storage and log).

    Entering waits (bounded) until it answers /v2/ with its token challenge; leaving stops it
    and raises, with its log tail, if it had died in between.
    """

    name = "docker-registry"
    poll_interval = 0.05

    def __init__(self, workdir, login_server, token_cert, tls_cert, tls_key, ca, startup_timeout=20):
        self.workdir = Path(workdir)
        self.login_server = login_server
        self.token_cert, self.tls_cert, self.tls_key, self.ca = token_cert, tls_cert, tls_key, ca
        self.port = None
        super().__init__(self.workdir / "registry.log", startup_timeout)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def config(self):
        """config.yml (JSON is YAML): nothing beyond storage, TLS and ACR-style token auth."""
        return {
            "version": "0.1",
            "log": {"level": "info", "formatter": "text"},
            "storage": {"filesystem": {"rootdirectory": str(self.workdir / "data")},
                        "maintenance": {"uploadpurging": {"enabled": False}}},
            "http": {"addr": "127.0.0.1:0", "secret": os.urandom(16).hex(), "relativeurls": True,
                     "tls": {"certificate": str(self.tls_cert), "key": str(self.tls_key)}},
            "auth": {"token": {"realm": f"https://{self.login_server}/oauth2/token",
                               "service": self.login_server, "issuer": TOKEN_ISSUER,
                               "rootcertbundle": str(self.token_cert)}},
        }

    def __enter__(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        return super().__enter__()

    def _launch(self, log):
        config_path = self.workdir / "config.yml"
        config_path.write_text(json.dumps(self.config(), indent=2))
        return subprocess.Popen([REGISTRY_BINARY, "serve", str(config_path)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env={"PATH": "/usr/bin:/bin"})

    def _ready(self):
        match = LISTENING.search(self.log_path.read_text(errors="replace"))
        if match and self._challenges(int(match.group(1))):
            self.port = int(match.group(1))
            return True
        return False

    def _challenges(self, port):
        """Whether GET /v2/ on `port` answers 401 with a Bearer challenge over verified TLS."""
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=2,
                                                 context=ssl.create_default_context(cafile=self.ca))
        try:
            connection.request("GET", "/v2/")
            response = connection.getresponse()
            response.read()
            return (response.status == 401
                    and response.getheader("Www-Authenticate", "").startswith("Bearer "))
        except OSError:
            return False
        finally:
            connection.close()
