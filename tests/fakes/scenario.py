"""The state the fake's listeners share: scenario, fault queues, request log, issued tokens.

A test describes the world in a scenario document (identities, registries, knobs) and sees
what happened in the Recorder and IssuedTokens; Faults lets it break the next answers. All of
it is read and written from many handler threads at once, hence the locks, and a new
scenario replaces the old one by one reference swap, so a request sees one or the other.
A malformed scenario or fault list is refused whole, with the reason, before anything changes.
"""

import itertools
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from jwt_tokens import Signer, certificate_index

FAULT_ENDPOINTS = ("entra", "exchange", "token", "v2", "manifest", "himds", "imds")
# reset and close end the connection instead of answering; truncate answers, but closes the
# connection halfway through the body its Content-Length announced.
FAULT_ACTIONS = ("reset", "close", "truncate")
DROP_ACTIONS = ("reset", "close")
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"

DEFAULT_TENANT = "3f1d6c1e-8a7b-4c2d-9e0f-5a6b7c8d9e0f"
DEFAULT_CLIENT = "6c9e2b4a-1d3f-4e5a-8b7c-0d1e2f3a4b5c"
DEFAULT_ARC_CLIENT = "4d7a9c2e-3b1f-4a6d-8e5c-2f9b0a1c3d4e"  # the Arc machine's system identity
DEFAULT_VM_CLIENT = "9b3e5d7f-2a4c-4e6b-8d1f-3c5a7e9b1d2f"   # the VM's system identity
DEFAULT_DIGEST = "sha256:" + "5e" * 32
DEFAULT_SCENARIO = {
    "tenants": {
        DEFAULT_TENANT: {
            "aliases": ["contoso.onmicrosoft.com"],
            "apps": {DEFAULT_CLIENT: {"secrets": ["s3cret"], "expired_secrets": ["old-s3cret"]}},
        }
    },
    "registries": {
        "myacr.azurecr.io": {
            "acrpull": [DEFAULT_CLIENT, DEFAULT_ARC_CLIENT, DEFAULT_VM_CLIENT],
            # What `check --image` HEADs (its default tag is latest).
            "repositories": {"team/app": {"latest": DEFAULT_DIGEST, "v1": DEFAULT_DIGEST}},
        },
        "localhost:{tls}": {"acrpull": [DEFAULT_CLIENT, DEFAULT_ARC_CLIENT, DEFAULT_VM_CLIENT]},
    },
    "himds": {"tenant": DEFAULT_TENANT, "system_client_id": DEFAULT_ARC_CLIENT},
    "imds": {"tenant": DEFAULT_TENANT, "system_client_id": DEFAULT_VM_CLIENT},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
    "delay_ms": 0,
}


@dataclass
class IdentityHost:
    """The managed identities one machine has: Arc's HIMDS or the VM's IMDS hands out their tokens."""
    tenant: str
    system_client_id: str
    user_assigned: dict            # client id -> {"object_id": ..., "msi_res_id": ...} (both optional)
    ignore_client_id: bool         # an old agent that always answers for the system identity
    # HIMDS only: where challenge keys go (None: <state dir>/azcmagent-tokens), and a file to
    # announce instead of <key dir>/<uuid>.key ("{uuid}" in it is filled in).
    key_dir: str = None
    realm_path_override: str = None

    @classmethod
    def parse(cls, doc):
        return cls(doc["tenant"], doc["system_client_id"], dict(doc.get("user_assigned", {})),
                   bool(doc.get("ignore_client_id", False)), doc.get("key_dir"),
                   doc.get("realm_path_override"))


class Scenario:
    """Identities, registries and knobs, parsed once so request handlers only look things up.

    Raises ValueError/TypeError/AttributeError/KeyError on a malformed scenario document.
    """

    def __init__(self, doc, tls_port):
        self.doc = doc
        self.tenants = {}   # tenant GUID -> {client id -> app}
        self.names = {}     # lower-case GUID or alias -> tenant GUID
        for guid, tenant in doc["tenants"].items():
            self.tenants[guid] = {cid: self._app(app) for cid, app in tenant.get("apps", {}).items()}
            for name in [guid, *tenant.get("aliases", [])]:
                self.names[name.lower()] = guid
        # The TLS port is only known at run time, so a scenario file names it "{tls}".
        self.registries = {}  # login server -> client ids with AcrPull
        self.admins = {}      # login server -> (username, password) of its admin user, if enabled
        # login server -> {repository -> {tag -> digest}}: the manifests the fake serves itself
        # (without a registry upstream).
        self.repositories = {}
        # login server -> {client id -> repository prefixes it may read}, for a registry in
        # ACR's ABAC mode ("RBAC Registry + ABAC Repository Permissions"), which ignores AcrPull.
        self.abac = {}
        for name, reg in doc["registries"].items():
            name = name.replace("{tls}", str(tls_port)).lower()
            self.registries[name] = set(reg.get("acrpull", []))
            self.repositories[name] = {repo: dict(tags)
                                       for repo, tags in reg.get("repositories", {}).items()}
            if "abac" in reg:
                self.abac[name] = {client: list(prefixes) for client, prefixes in reg["abac"].items()}
            if "admin" in reg:
                self.admins[name] = (str(reg["admin"]["username"]), str(reg["admin"]["password"]))
        self.audiences = list(doc.get("audiences", DEFAULT_SCENARIO["audiences"]))
        self.refresh_token_lifetime = int(doc.get("refresh_token_lifetime_seconds", 10800))
        self.delay = float(doc.get("delay_ms", 0)) / 1000
        # Service-account token issuers that Entra trusts (it would fetch these keys from the
        # issuer's /openid/v1/jwks; the fake is told them).
        self.issuers = {url: [serialization.load_pem_public_key(pem.encode()) for pem in issuer["keys"]]
                        for url, issuer in doc.get("issuers", {}).items()}
        self.identity_hosts = {name: IdentityHost.parse(doc[name]) for name in ("himds", "imds")
                               if name in doc}
        for host in self.identity_hosts.values():
            # A managed identity lives in an Entra tenant: the ACR exchange checks `tenant` against it.
            self.tenants.setdefault(host.tenant, {})
            self.names.setdefault(host.tenant.lower(), host.tenant)

    @staticmethod
    def _app(app):
        return {"secrets": set(app.get("secrets", [])),
                "expired_secrets": set(app.get("expired_secrets", [])),
                "certificates": certificate_index(app.get("certificates", [])),
                "federated": [(record["issuer"], record["subject"],
                               record.get("audience", FEDERATION_AUDIENCE))
                              for record in app.get("federated", [])]}

    def tenant_guid(self, name):
        return self.names.get(name.lower())


class Faults:
    """Per-endpoint queues of injected faults, consumed one per request (or repeated forever)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queues = {}

    @staticmethod
    def validate(endpoint, faults, always):
        if endpoint not in FAULT_ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(FAULT_ENDPOINTS)}")
        if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
            raise ValueError("faults must be a list of objects")
        if always and len(faults) != 1:
            raise ValueError("always needs exactly one fault")
        for fault in faults:
            if "action" in fault and fault["action"] not in FAULT_ACTIONS:
                raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
            if not isinstance(fault.get("status", 200), int):
                raise ValueError("status must be an integer")
            if not isinstance(fault.get("delay_ms", 0), (int, float)):
                raise ValueError("delay_ms must be a number")
            body_bytes = fault.get("body_bytes", 0)
            if (not isinstance(body_bytes, int) or body_bytes < 0
                    or (body_bytes and "status" not in fault)):
                raise ValueError("body_bytes must be a non-negative integer, given with a status")

    def set(self, endpoint, faults, always):
        """Replace the endpoint's queue."""
        self.validate(endpoint, faults, always)
        with self._lock:
            self._queues[endpoint] = (list(faults), always)

    def take(self, endpoint):
        with self._lock:
            queue, always = self._queues.get(endpoint, ([], False))
            if not queue:
                return None
            return queue[0] if always else queue.pop(0)

    def clear(self):
        with self._lock:
            self._queues.clear()


class Recorder:
    """What the recorded listeners (tls, himds, imds) and the proxy saw, in arrival order."""

    RECORDED_HEADERS = ("content-type", "authorization", "user-agent", "accept", "metadata")

    def __init__(self):
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._requests = []
        self._connects = []

    def arrive(self, entry):
        """Record a request as it arrives (status still None), so the order is arrival order."""
        with self._lock:
            entry.update(seq=next(self._seq), t=time.monotonic(), status=None)
            self._requests.append(entry)

    def finish(self, entry, status, notes=None):
        """Set the status, plus whatever the handler noted about the request (Request.record)."""
        with self._lock:
            entry.update(notes or {}, status=status)

    def connect(self, target):
        with self._lock:
            self._connects.append(target)

    def requests(self):
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def connects(self):
        with self._lock:
            return list(self._connects)

    def clear(self):
        with self._lock:
            self._requests.clear()
            self._connects.clear()


class IssuedTokens:
    """Every token the fake handed out since it started, by kind (reset keeps them), so tests
    can look for all of them where none may appear: logs, files, child processes."""

    KINDS = ("entra", "acr_refresh", "acr_access")

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens = {kind: [] for kind in self.KINDS}

    def add(self, kind, token):
        with self._lock:
            self._tokens[kind].append(token)
        return token

    def all(self):
        with self._lock:
            return {kind: list(tokens) for kind, tokens in self._tokens.items()}


class Fake:
    """Everything the listeners share (the handlers all get it as `fake`)."""

    def __init__(self, tls_port, scenario_doc, key_dir, registry_signer):
        self.tls_port = tls_port
        self.key_dir = key_dir     # where HIMDS writes challenge keys unless the scenario says otherwise
        self.himds_keys = set()    # contents of every key file HIMDS announced; each one is accepted
        self.signer = Signer()     # Entra access tokens and ACR refresh tokens
        self.registry_signer = registry_signer  # ACR registry access tokens
        # The registry that serves /v2/* (an Upstream), set through the admin API; None: the
        # fake answers GET /v2/ itself.
        self.registry_upstream = None
        self.faults = Faults()
        self.recorder = Recorder()
        self.issued = IssuedTokens()
        self.scenario = Scenario(scenario_doc, tls_port)
        # Local ports of the proxy's upstream sockets: a TLS peer on one of them came via the proxy.
        self.proxied_ports = set()

    def set_scenario(self, doc):
        self.scenario = Scenario(doc, self.tls_port)  # one reference swap: readers never see a mix
