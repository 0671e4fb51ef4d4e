#!/usr/bin/python3
"""Fake Microsoft Entra ID, Azure managed identity endpoints and Azure Container Registry for
the integration tests and demo.

One process, five listeners, all on 127.0.0.1 with ephemeral ports:
  tls    HTTPS (HTTP/1.1): the Entra token endpoint (client secrets, certificate assertions,
         federated service-account tokens) and the ACR OAuth endpoints, routed by path; the
         registry API /v2/* too, relayed to a real registry once the admin API names one
  proxy  an HTTP CONNECT proxy that only ever splices to the tls listener
  admin  plain-HTTP JSON API: recorded requests and CONNECTs, scenario, fault injection,
         the registry upstream, refresh tokens of any lifetime, every token issued so far
  himds  plain HTTP: the Azure Arc agent's identity endpoint (key-file challenge, then a token)
  imds   plain HTTP: the Azure VM instance metadata identity endpoint

Usage: /usr/bin/python3 fake_azure.py --state-dir DIR [--scenario FILE.json]

DIR receives ca.pem (the trust anchor clients pin), the server key pair, registry-token.pem
(the certificate registry access tokens are signed under: a registry's token-auth
rootcertbundle), the Arc challenge key directory azcmagent-tokens/ and ports.json ({"tls",
"proxy", "admin", "himds", "imds", "ca", "registry_token_cert"}); then "ready" is printed on
stdout. SIGTERM or SIGINT stops it.
Standard library plus python3-cryptography only, hence /usr/bin/python3.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import ipaddress
import itertools
import json
import os
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_DNS_NAMES = (
    "localhost",
    "login.microsoftonline.com",
    "login.chinacloudapi.cn",
    "login.microsoftonline.us",
    "*.azurecr.io",
    "*.azurecr.cn",
    "*.azurecr.us",
    "*.eastus.geo.azurecr.io",
    "*.westeurope.geo.azurecr.io",
)
SERVER_IP = "127.0.0.1"
NULL_GUID = "00000000-0000-0000-0000-000000000000"
ENTRA_TOKEN_LIFETIME = 3599
ACR_ACCESS_TOKEN_LIFETIME = 4500  # real ACR access tokens last about 75 minutes
FAULT_ENDPOINTS = ("entra", "exchange", "token", "v2", "himds", "imds")
# reset and close end the connection instead of answering; truncate answers, but closes the
# connection halfway through the body its Content-Length announced.
FAULT_ACTIONS = ("reset", "close", "truncate")
DROP_ACTIONS = ("reset", "close")
SPLICE_IDLE_SECONDS = 60
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
ASSERTION_CLOCK_SKEW = 60     # seconds of "not before" in the future that Entra tolerates
ASSERTION_MAX_LIFETIME = 600  # Entra refuses certificate assertions valid for more than 10 minutes

DEFAULT_TENANT = "3f1d6c1e-8a7b-4c2d-9e0f-5a6b7c8d9e0f"
DEFAULT_CLIENT = "6c9e2b4a-1d3f-4e5a-8b7c-0d1e2f3a4b5c"
DEFAULT_ARC_CLIENT = "4d7a9c2e-3b1f-4a6d-8e5c-2f9b0a1c3d4e"  # the Arc machine's system identity
DEFAULT_VM_CLIENT = "9b3e5d7f-2a4c-4e6b-8d1f-3c5a7e9b1d2f"   # the VM's system identity
DEFAULT_SCENARIO = {
    "tenants": {
        DEFAULT_TENANT: {
            "aliases": ["contoso.onmicrosoft.com"],
            "apps": {DEFAULT_CLIENT: {"secrets": ["s3cret"], "expired_secrets": ["old-s3cret"]}},
        }
    },
    "registries": {
        "myacr.azurecr.io": {"acrpull": [DEFAULT_CLIENT, DEFAULT_ARC_CLIENT, DEFAULT_VM_CLIENT]},
        "localhost:{tls}": {"acrpull": [DEFAULT_CLIENT, DEFAULT_ARC_CLIENT, DEFAULT_VM_CLIENT]},
    },
    "himds": {"tenant": DEFAULT_TENANT, "system_client_id": DEFAULT_ARC_CLIENT},
    "imds": {"tenant": DEFAULT_TENANT, "system_client_id": DEFAULT_VM_CLIENT},
    "audiences": ["https://containerregistry.azure.net"],
    "refresh_token_lifetime_seconds": 10800,
    "delay_ms": 0,
}


# --------------------------------------------------------------------------- PKI

def _key_usage(**enabled):
    """x509.KeyUsage wants all nine flags spelled out; name only the ones that are set."""
    flags = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: enabled.get(name, False) for name in flags})


def _certificate(subject, issuer, public_key, signing_key, extensions):
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(hours=1))  # tolerate small clock skew
               .not_valid_after(now + timedelta(days=7)))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def make_pki(state_dir):
    """Create a throw-away CA and one server certificate for every name the fake answers to.

    Returns (server_cert_path, server_key_path, ca_path). EC P-256 keeps start-up fast.
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acr-credential-provider test CA")])
    ca_cert = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (_key_usage(key_cert_sign=True, crl_sign=True), True),
        (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
    ])
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(name) for name in SERVER_DNS_NAMES]
    names.append(x509.IPAddress(ipaddress.ip_address(SERVER_IP)))
    cert = _certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-azure")]), ca_name,
        key.public_key(), ca_key, [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.SubjectAlternativeName(names), False),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ])
    paths = (state_dir / "server.pem", state_dir / "server.key", state_dir / "ca.pem")
    _write(paths[0], cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(paths[1], key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), 0o600)
    _write(paths[2], ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return paths


def name_matches(pattern, host):
    """Certificate-style match: same number of labels; a '*' label matches exactly one label."""
    want, got = pattern.lower().split("."), host.lower().split(".")
    return len(want) == len(got) and all(w in ("*", g) and g for w, g in zip(want, got))


# --------------------------------------------------------------------------- JWT

class InvalidToken(Exception):
    pass


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _CompactJws:
    """Compact JWS tokens under one fixed header; subclasses supply the signature algorithm."""

    def __init__(self, header):
        self._header = _b64url(json.dumps(header, separators=(",", ":")).encode())

    def _signature(self, signing_input):
        raise NotImplementedError

    def _signature_valid(self, signing_input, signature):
        raise NotImplementedError

    def sign(self, claims):
        signing_input = self._header + "." + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        return signing_input + "." + _b64url(self._signature(signing_input.encode()))

    def verify(self, token):
        """Return the claims of a token this fake issued that is valid now; else raise InvalidToken."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != self._header:
            raise InvalidToken("malformed token")
        try:
            signature = _b64url_decode(parts[2])
            claims = json.loads(_b64url_decode(parts[1]))
        except ValueError:
            raise InvalidToken("malformed token") from None
        if not self._signature_valid(f"{parts[0]}.{parts[1]}".encode(), signature):
            raise InvalidToken("signature does not verify")
        now = time.time()
        if claims.get("exp", 0) <= now:
            raise InvalidToken("token is expired")
        if claims.get("nbf", 0) > now:
            raise InvalidToken("token is not valid yet")
        return claims


class Signer(_CompactJws):
    """HS256 JWTs under a key that lives only in this process, so only this fake's tokens verify."""

    def __init__(self):
        super().__init__({"alg": "HS256", "typ": "JWT"})
        self._key = os.urandom(32)

    def _signature(self, signing_input):
        return hmac.new(self._key, signing_input, hashlib.sha256).digest()

    def _signature_valid(self, signing_input, signature):
        return hmac.compare_digest(signature, self._signature(signing_input))


class RegistryTokenSigner(_CompactJws):
    """ES256 registry access tokens in the form distribution's token auth verifies: the header
    carries the signing certificate (x5c), and the same self-signed certificate, written to
    `cert_path`, is the registry's `rootcertbundle`. (ACR signs RS256; clients never look
    inside, and a P-256 key costs the fake's start-up nothing where RSA would take 0.2 s.)"""

    def __init__(self, cert_path):
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake ACR token signing")])
        cert = _certificate(name, name, self._key.public_key(), self._key, [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True), True),
        ])
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        der = cert.public_bytes(serialization.Encoding.DER)
        super().__init__({"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]})

    # A JWS ECDSA signature is r and s as two 32-byte big-endian numbers, not DER.
    def _signature(self, signing_input):
        r, s = decode_dss_signature(self._key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def _signature_valid(self, signing_input, signature):
        if len(signature) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        try:
            self._key.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


Jwt = namedtuple("Jwt", "header claims signing_input signature")


def parse_jwt(token):
    """Decode a compact JWS signed by someone else (a client assertion); nothing is verified.

    Raises InvalidToken unless it is three base64url parts whose first two are JSON objects.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("the token does not have three dot-separated parts")
    try:
        header, claims = (json.loads(_b64url_decode(part)) for part in parts[:2])
        signature = _b64url_decode(parts[2])
    except ValueError:
        raise InvalidToken("a part of the token is not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("the header or the payload is not a JSON object")
    return Jwt(header, claims, f"{parts[0]}.{parts[1]}".encode(), signature)


# Entra verifies PS256 with the salt exactly as long as the digest, which is what MSAL and Go's
# crypto/rsa sign with. OpenSSL signs with the longest possible salt unless told otherwise, and
# Entra refuses that, so the fake does too.
SIGNATURE_PADDINGS = {
    "PS256": lambda: padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
    "RS256": padding.PKCS1v15,
}


def signature_valid(public_key, alg, jwt):
    """Whether `jwt` carries a valid `alg` signature (PS256 or RS256) by this RSA key."""
    if alg not in SIGNATURE_PADDINGS or not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(jwt.signature, jwt.signing_input, SIGNATURE_PADDINGS[alg](), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------- state

def _certificate_index(pems):
    """Registered certificates' public keys by JWT header parameter and thumbprint, as Entra
    looks them up: x5t#S256 is the SHA-256 of the DER certificate, x5t its SHA-1."""
    index = {"x5t#S256": {}, "x5t": {}}
    for pem in pems:
        certificate = x509.load_pem_x509_certificate(pem.encode())
        der = certificate.public_bytes(serialization.Encoding.DER)
        index["x5t#S256"][_b64url(hashlib.sha256(der).digest())] = certificate.public_key()
        index["x5t"][_b64url(hashlib.sha1(der).digest())] = certificate.public_key()
    return index


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
        for name, reg in doc["registries"].items():
            name = name.replace("{tls}", str(tls_port)).lower()
            self.registries[name] = set(reg.get("acrpull", []))
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
                "certificates": _certificate_index(app.get("certificates", [])),
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
    """Everything the listeners share."""

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


# --------------------------------------------------------------------------- messages

@dataclass
class Reply:
    status: int
    body: object = None            # JSON-encoded unless already bytes
    headers: dict = field(default_factory=dict)


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict
    headers: dict
    form: dict
    query_string: str   # raw text, for repeatable parameters such as scope
    body_text: str
    record: dict = field(default_factory=dict)  # what a handler adds to the request log entry


# --------------------------------------------------------------------------- Entra

def entra_error(status, error, code, text):
    """An error in the shape login.microsoftonline.com uses, with fresh ids and timestamp."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    description = (f"AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\n"
                   f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}")
    return Reply(status, {
        "error": error, "error_description": description, "error_codes": [code],
        "timestamp": timestamp, "trace_id": trace_id, "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    })


def entra_token(fake, tenant_name, req):
    """POST /{tenant}/oauth2/v2.0/token with client_credentials, checked in Entra's order."""
    scenario, form = fake.scenario, req.form
    guid = scenario.tenant_guid(tenant_name)
    if guid is None:
        return entra_error(400, "invalid_request", 90002,
                           f"Tenant '{tenant_name}' not found. Check to make sure you have the correct "
                           "tenant ID and are signing into the correct cloud.")
    grant = form.get("grant_type", "")
    if grant != "client_credentials":
        return entra_error(400, "unsupported_grant_type", 70003,
                           f"The app requested an unsupported grant type '{grant}'.")
    client_id = form.get("client_id", "")
    app = scenario.tenants[guid].get(client_id)
    if app is None:
        return entra_error(400, "unauthorized_client", 700016,
                           f"Application with identifier '{client_id}' was not found in the directory "
                           f"'{tenant_name}'. This can happen if the application has not been installed "
                           "by the administrator of the tenant. You may have sent your authentication "
                           "request to the wrong tenant.")
    scope = form.get("scope", "")
    audience = scope.removesuffix("/.default")
    if not scope.endswith("/.default") or audience not in scenario.audiences:
        return entra_error(400, "invalid_scope", 70011,
                           "The provided value for the input parameter 'scope' is not valid. "
                           f"The scope {scope} is not valid.")
    refusal = authenticate_client(fake.scenario, tenant_name, client_id, app, req)
    if refusal is not None:
        return refusal
    return Reply(200, {"token_type": "Bearer", "expires_in": ENTRA_TOKEN_LIFETIME,
                       "ext_expires_in": ENTRA_TOKEN_LIFETIME,
                       "access_token": issue_access_token(fake, guid, client_id, audience,
                                                          int(time.time()))})


def issue_access_token(fake, tenant_guid, client_id, audience, now):
    """An Entra access token for an app or managed identity, as the ACR exchange accepts it."""
    return fake.issued.add("entra", fake.signer.sign({
        "aud": audience, "iss": f"https://sts.windows.net/{tenant_guid}/", "tid": tenant_guid,
        "appid": client_id, "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_guid}/{client_id}")),
        "iat": now, "nbf": now, "exp": now + ENTRA_TOKEN_LIFETIME,
    }))


def authenticate_client(scenario, tenant_name, client_id, app, req):
    """None if the request proves it is the app (by secret or by assertion), else the Entra error.

    Exactly one credential: client_secret, or client_assertion with the jwt-bearer type.
    """
    form = req.form
    assertion_fields = {"client_assertion", "client_assertion_type"} & form.keys()
    if not assertion_fields:
        return check_secret(form.get("client_secret"), client_id, app)
    if ("client_secret" in form or len(assertion_fields) == 1
            or form["client_assertion_type"] != JWT_BEARER):
        return entra_error(401, "invalid_client", 7000215,
                           f"Invalid client credential presented for app '{client_id}'. Send either "
                           "client_secret, or client_assertion together with client_assertion_type "
                           f"'{JWT_BEARER}'.")
    try:
        check_assertion(scenario, tenant_name, client_id, app, req)
    except Refused as refusal:
        return refusal.reply
    return None


def check_secret(secret, client_id, app):
    if secret in app["expired_secrets"]:
        return entra_error(401, "invalid_client", 7000222,
                           f"The provided client secret keys for app '{client_id}' are expired. "
                           "Visit the Azure portal to create new keys for your app.")
    if secret not in app["secrets"]:
        return entra_error(401, "invalid_client", 7000215,
                           "Invalid client secret provided. Ensure the secret being sent in the "
                           "request is the client secret value, not the client secret ID, for a "
                           f"secret added to app '{client_id}'.")
    return None


# --------------------------------------------------------------------------- client assertions

class Refused(Exception):
    """A check failed; carries the Entra error to answer with, so the checks read top to bottom."""

    def __init__(self, reply):
        super().__init__(reply.status)
        self.reply = reply


def malformed(reason):
    return Refused(entra_error(400, "invalid_request", 50027,
                               f"JWT token is invalid or malformed. [Reason - {reason}]"))


def bad_signature(client_id, reason):
    return Refused(entra_error(401, "invalid_client", 700027,
                               f"Client assertion failed signature validation. [Reason - {reason}, "
                               f"Client id: '{client_id}']"))


def _utc(seconds):
    if seconds is None:
        return "(not given)"
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
    except (OverflowError, ValueError, OSError):  # a test's absurd claim must not crash the fake
        return str(seconds)


def check_time_range(claims, max_lifetime=None):
    """exp must be in the future and nbf, if given, at most the clock skew ahead of now.

    Certificate assertions (max_lifetime given) must carry nbf and last at most max_lifetime.
    """
    exp = numeric_claim(claims, "exp")
    nbf = numeric_claim(claims, "nbf") if max_lifetime is not None or "nbf" in claims else None
    now = time.time()
    too_long = max_lifetime is not None and exp - nbf > max_lifetime
    if exp <= now or (nbf is not None and nbf > now + ASSERTION_CLOCK_SKEW) or too_long:
        raise Refused(entra_error(400, "invalid_client", 700024,
                                  "Client assertion is not within its valid time range. "
                                  f"Current time: {_utc(now)}, assertion valid from {_utc(nbf)}, "
                                  f"expiry time of assertion {_utc(exp)}."
                                  + (f" The lifetime may be at most {max_lifetime} seconds."
                                     if too_long else "")))


def numeric_claim(claims, name):
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise malformed(f"The claim '{name}' is missing or is not a number")
    return value


def check_assertion(scenario, tenant_name, client_id, app, req):
    """Raise Refused unless client_assertion proves the app, by certificate or by federation.

    A thumbprint in the header means a certificate of the app signed it; otherwise the
    assertion is a token from an external issuer (a Kubernetes service-account token).
    """
    try:
        jwt = parse_jwt(req.form["client_assertion"])
    except InvalidToken as why:
        raise malformed(why) from None
    req.record["assertion"] = {"header": jwt.header, "claims": jwt.claims}
    if "x5t#S256" in jwt.header or "x5t" in jwt.header:
        # The audience is the token endpoint exactly as this request addressed it.
        check_certificate_assertion(jwt, client_id, app,
                                    f"https://{req.host}/{tenant_name}/oauth2/v2.0/token")
    else:
        check_federated_assertion(scenario, jwt, client_id, app)


def registered_certificate_key(jwt, client_id, app):
    """The public key of the app's certificate that the header names by thumbprint.

    PS256 must name it by x5t#S256; RS256 by x5t#S256 or by the older SHA-1 x5t.
    """
    alg = jwt.header.get("alg")
    if alg not in SIGNATURE_PADDINGS:
        raise bad_signature(client_id, f"The algorithm '{alg}' is not supported; use PS256 or RS256")
    parameters = ("x5t#S256",) if alg == "PS256" else ("x5t#S256", "x5t")
    parameter = next((name for name in parameters if name in jwt.header), None)
    if parameter is None:
        raise bad_signature(client_id, "A PS256 client assertion must carry the x5t#S256 header")
    thumbprint = str(jwt.header[parameter])
    key = app["certificates"][parameter].get(thumbprint)
    if key is None:
        raise bad_signature(client_id, f"The key was not found., Thumbprint of key used by client: "
                                       f"'{thumbprint}'. The certificate with identifier used to sign "
                                       "the client assertion is not registered on application")
    return key


def check_certificate_assertion(jwt, client_id, app, token_url):
    key = registered_certificate_key(jwt, client_id, app)
    if not signature_valid(key, jwt.header["alg"], jwt):
        raise bad_signature(client_id, "The provided signature value did not match the expected "
                                       "signature value")
    claims = jwt.claims
    if claims.get("aud") != token_url:
        raise malformed(f"The claim 'aud' is '{claims.get('aud')}', expected '{token_url}'")
    for name in ("iss", "sub"):
        if claims.get(name) != client_id:
            raise malformed(f"The claim '{name}' is '{claims.get(name)}', expected the client id "
                            f"'{client_id}'")
    if not claims.get("jti"):
        raise malformed("The claim 'jti' is missing")
    check_time_range(claims, ASSERTION_MAX_LIFETIME)


def check_federated_assertion(scenario, jwt, client_id, app):
    claims = jwt.claims
    issuer = claims.get("iss")
    keys = scenario.issuers.get(issuer) if isinstance(issuer, str) else None
    if keys is None:
        raise Refused(entra_error(400, "invalid_grant", 700211,
                                  "No matching federated identity record found for presented "
                                  f"assertion issuer '{issuer}'. Please note that the matching is done "
                                  "using a case-sensitive comparison."))
    if jwt.header.get("alg") != "RS256" or not any(signature_valid(key, "RS256", jwt) for key in keys):
        raise bad_signature(client_id, f"The signature does not verify with any key of issuer "
                                       f"'{issuer}'")
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if not any((issuer, claims.get("sub")) == (record_issuer, subject) and audience in audiences
               for record_issuer, subject, audience in app["federated"]):
        raise Refused(entra_error(400, "invalid_grant", 70021,
                                  "No matching federated identity record found for presented "
                                  f"assertion. Assertion Issuer: '{issuer}'. Assertion Subject: "
                                  f"'{claims.get('sub')}'. Assertion Audience: "
                                  f"'{','.join(map(str, audiences))}'."))
    check_time_range(claims)


# --------------------------------------------------------------------------- ACR

def acr_error(status, code, message):
    return Reply(status, {"errors": [{"code": code, "message": message}]})


def unsupported_grant(grant):
    return acr_error(400, "UNSUPPORTED", f"grant type '{grant}' is not supported here")


def registry_mismatch(fake, req):
    """The 400 for a service that is not this Host or an unknown registry, else None."""
    service = req.form.get("service", req.query.get("service", ""))
    if service.lower() != req.host.lower():
        return acr_error(400, "UNSUPPORTED", f"service '{service}' does not match host '{req.host}'")
    if req.host.lower() not in fake.scenario.registries:
        return acr_error(400, "UNSUPPORTED", f"registry '{req.host}' does not exist")
    return None


def acr_exchange(fake, req):
    """POST /oauth2/exchange: Entra access token -> ACR refresh token for the Host registry."""
    scenario, form = fake.scenario, req.form
    if form.get("grant_type") != "access_token":
        return unsupported_grant(form.get("grant_type", ""))
    error = registry_mismatch(fake, req)
    if error:
        return error
    try:
        claims = fake.signer.verify(form.get("access_token", ""))
    except InvalidToken as why:
        return acr_error(401, "UNAUTHORIZED", f"the access token is invalid: {why}")
    if claims.get("aud") not in scenario.audiences:
        return acr_error(401, "UNAUTHORIZED", f"the access token's audience '{claims.get('aud')}' "
                                              "is not accepted")
    tenant = form.get("tenant")
    if tenant is not None and scenario.tenant_guid(tenant) != claims.get("tid"):
        return acr_error(401, "UNAUTHORIZED", f"tenant '{tenant}' does not match the access token")
    if claims.get("appid") not in scenario.registries[req.host.lower()]:
        return acr_error(401, "UNAUTHORIZED", f"the principal '{claims.get('appid')}' is not "
                                              f"authorized to access '{req.host}'")
    return Reply(200, {"refresh_token": issue_refresh_token(
        fake, req.host, claims["appid"], claims["tid"], scenario.refresh_token_lifetime)})


def issue_refresh_token(fake, registry, subject, tenant, lifetime):
    """An ACR refresh token for `registry`; it lets its holder pull (AcrPull) and nothing else."""
    now = int(time.time())
    return fake.issued.add("acr_refresh", fake.signer.sign({
        "jti": str(uuid.uuid4()), "sub": subject, "nbf": now, "iat": now, "exp": now + lifetime,
        "iss": "Azure Container Registry", "aud": registry, "version": "1.0",
        "grant_type": "refresh_token", "tenant": tenant, "permissions": {"actions": ["read"]},
    }))


def _basic_credentials(authorization):
    """(username, password) from an 'Authorization: Basic ...' header, or None."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except ValueError:
        return None
    return (username, password) if sep else None


def _granted_access(scopes, permitted_actions):
    """Docker token 'access' claim: each 'type:name:actions' scope cut down to what the token allows."""
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": name,
                       "actions": [a for a in actions.split(",") if a in permitted_actions]})
    return access


PULL_ACTIONS = frozenset({"pull"})                     # what an AcrPull refresh token allows
ADMIN_ACTIONS = frozenset({"pull", "push", "delete"})  # the registry's admin user may do anything


def acr_access_token(fake, req, refresh_token, scopes):
    """Issue a registry access token if refresh_token is an unexpired ACR token for this registry."""
    try:
        claims = fake.signer.verify(refresh_token)
    except InvalidToken as why:
        return acr_error(401, "UNAUTHORIZED", f"the refresh token is invalid: {why}")
    if claims.get("grant_type") != "refresh_token" or claims.get("aud", "").lower() != req.host.lower():
        return acr_error(401, "UNAUTHORIZED", f"the refresh token is not valid for '{req.host}'")
    return issue_access_token_reply(fake, req.host, claims["sub"], claims.get("tenant"), scopes,
                                    PULL_ACTIONS)


def issue_access_token_reply(fake, registry, subject, tenant, scopes, permitted_actions):
    """200 with a registry access token that a registry configured for ACR's token service
    (issuer "Azure Container Registry", service = login server) accepts for `scopes`, cut down
    to `permitted_actions`."""
    now = int(time.time())
    token = fake.registry_signer.sign({
        "jti": str(uuid.uuid4()), "sub": subject, "nbf": now, "iat": now,
        "exp": now + ACR_ACCESS_TOKEN_LIFETIME, "iss": "Azure Container Registry", "aud": registry,
        "version": "1.0", "grant_type": "access_token", "tenant": tenant,
        "access": _granted_access(scopes, permitted_actions),
    })
    return Reply(200, {"access_token": fake.issued.add("acr_access", token)})


def acr_token_get(fake, req):
    """GET /oauth2/token with Basic null-GUID:refresh-token (Azure/acr docs/Token-BasicAuth.md),
    or with the registry's admin user and password."""
    error = registry_mismatch(fake, req)
    if error:
        return error
    credentials = _basic_credentials(req.headers.get("authorization", ""))
    scopes = [v for k, v in parse_qsl(req.query_string) if k == "scope"]
    if credentials is not None and credentials == fake.scenario.admins.get(req.host.lower()):
        return issue_access_token_reply(fake, req.host, credentials[0], None, scopes, ADMIN_ACTIONS)
    if credentials is None or credentials[0] != NULL_GUID:
        return acr_error(401, "UNAUTHORIZED", f"expected Basic auth as user {NULL_GUID}")
    return acr_access_token(fake, req, credentials[1], scopes)


def acr_token_post(fake, req):
    """POST /oauth2/token: refresh_token grant; password is refused as real ACR does (400)."""
    if req.form.get("grant_type") != "refresh_token":
        return unsupported_grant(req.form.get("grant_type", ""))
    error = registry_mismatch(fake, req)
    if error:
        return error
    scopes = [v for k, v in parse_qsl(req.body_text) if k == "scope"]
    return acr_access_token(fake, req, req.form.get("refresh_token", ""), scopes)


def registry_ping(fake, req):
    """GET /v2/: 200 with a valid bearer access token for this registry, else the auth challenge."""
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        try:
            claims = fake.registry_signer.verify(token)
            if claims.get("grant_type") == "access_token" and claims.get("aud") == req.host:
                return Reply(200, {})
        except InvalidToken:
            pass
    challenge = f'Bearer realm="https://{req.host}/oauth2/token",service="{req.host}"'
    reply = acr_error(401, "UNAUTHORIZED", "authentication required")
    reply.headers["Www-Authenticate"] = challenge
    return reply


# --------------------------------------------------------------------------- managed identity

IDENTITY_PATH = "/metadata/identity/oauth2/token"
IDENTITY_SELECTORS = ("client_id", "object_id", "msi_res_id")


@dataclass(frozen=True)
class IdentityService:
    """What differs between Arc's HIMDS and the VM's IMDS; the token request is otherwise alike."""
    name: str              # listener, request-log endpoint, fault endpoint and ports.json key
    api_versions: tuple
    challenge: bool        # HIMDS first makes the caller prove it can read a root-only key file
    extra_fields: tuple    # (name, value) pairs only this service puts in a token response


HIMDS = IdentityService("himds", ("2019-11-01", "2020-06-01"), True, ())
IMDS = IdentityService("imds", ("2018-02-01", "2019-08-01"), False, (("refresh_token", ""),))


def identity_error(status, error, description):
    return Reply(status, {"error": error, "error_description": description})


def identity_token(fake, service, req):
    """GET /metadata/identity/oauth2/token: an Entra access token for one of the machine's identities.

    Numbers in the answer are strings, as both real endpoints send them.
    """
    if req.path != IDENTITY_PATH or req.method != "GET":
        return Reply(404, {"error": "not found"})
    if req.headers.get("metadata") != "true":
        return identity_error(400, "invalid_request", "Required metadata header not specified")
    if req.query.get("api-version") not in service.api_versions:
        return identity_error(400, "invalid_request", f"api-version '{req.query.get('api-version')}' "
                                                      f"is missing or not one of {service.api_versions}")
    if service.challenge:
        refusal = check_himds_key(fake, req)
        if refusal is not None:
            return refusal
    resource = req.query.get("resource", "")
    if resource not in fake.scenario.audiences:
        return identity_error(400, "invalid_resource", f"AADSTS500011: The resource principal named "
                                                       f"'{resource}' was not found in the tenant.")
    if sum(name in req.query for name in IDENTITY_SELECTORS) > 1:
        return identity_error(400, "invalid_request",
                              f"Give at most one of {', '.join(IDENTITY_SELECTORS)}")
    host = fake.scenario.identity_hosts.get(service.name)
    client_id = select_identity(host, req.query) if host else None
    if client_id is None:
        return identity_error(400, "invalid_request", "Identity not found")
    now = int(time.time())
    return Reply(200, {
        "access_token": issue_access_token(fake, host.tenant, client_id, resource, now),
        "client_id": client_id, "expires_in": str(ENTRA_TOKEN_LIFETIME),
        "expires_on": str(now + ENTRA_TOKEN_LIFETIME), "not_before": str(now), "resource": resource,
        "token_type": "Bearer", **dict(service.extra_fields),
    })


def select_identity(host, query):
    """The client id of the identity the query names (none named: the system-assigned one), or None."""
    named = [(name, query[name]) for name in IDENTITY_SELECTORS if name in query]
    if not named or host.ignore_client_id:
        return host.system_client_id
    (selector, value), = named
    for client_id, details in host.user_assigned.items():
        if value == (client_id if selector == "client_id" else details.get(selector)):
            return client_id
    return None


def check_himds_key(fake, req):
    """None if Authorization is 'Basic <contents of an announced key file>', else a new challenge."""
    scheme, _, key = req.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and key in fake.himds_keys:
        return None
    return himds_challenge(fake, req)


def himds_challenge(fake, req):
    """401 naming a key file that only root can read: reading it proves the caller's privilege.

    The file gets a fresh random key, unless the scenario announces a file that already exists
    (a test prepared it, say a huge one): then its contents are the key.
    """
    host = fake.scenario.identity_hosts.get("himds")
    name = str(uuid.uuid4())
    if host is not None and host.realm_path_override:
        path = Path(host.realm_path_override.replace("{uuid}", name))
    else:
        path = Path(host.key_dir if host is not None and host.key_dir else fake.key_dir) / f"{name}.key"
    try:
        if not os.path.lexists(path):  # lexists: never write through a test's dangling symlink
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write(path, os.urandom(32).hex().encode(), 0o600)
        # http.server hands header values over decoded as Latin-1: compare in the same terms.
        fake.himds_keys.add(path.read_bytes().decode("latin-1"))
    except OSError as why:
        return identity_error(500, "server_error", f"the fake cannot prepare the key file: {why}")
    req.record["key_file"] = str(path)
    return Reply(401, None, {"WWW-Authenticate": f"Basic realm={path}"})


# --------------------------------------------------------------------------- registry upstream

# Headers about one hop of a connection rather than the message (RFC 9110 7.6.1), and Expect,
# which http.server has already answered.
HOP_BY_HOP_HEADERS = frozenset({"connection", "keep-alive", "proxy-authenticate",
                                "proxy-authorization", "proxy-connection", "te", "trailer",
                                "transfer-encoding", "upgrade", "expect"})
RELAY_PIECE = 64 * 1024


@dataclass(frozen=True)
class Upstream:
    """A real registry (docker-registry) that answers /v2/* in the fake's place: ACR serves the
    registry API and its token service on one host, so clients must see one host too."""
    url: str
    host: str
    port: int
    context: ssl.SSLContext

    @classmethod
    def parse(cls, doc):
        """From {"url": "https://HOST:PORT", "ca": PEM file that verifies its certificate}."""
        url = urlsplit(doc["url"])
        if url.scheme != "https" or not url.hostname or url.port is None or url.path not in ("", "/"):
            raise ValueError(f"url must be https://HOST:PORT, not {doc['url']!r}")
        try:
            context = ssl.create_default_context(cafile=doc["ca"])
        except OSError as why:
            raise ValueError(f"ca: {why}") from None
        return cls(doc["url"], url.hostname, url.port, context)


def _pieces(stream, length):
    while length:
        piece = stream.read(min(length, RELAY_PIECE))
        if not piece:
            raise ConnectionError("the client closed the connection in the middle of the body")
        length -= len(piece)
        yield piece


def _request_body(handler, chunked):
    """The request body in pieces as it arrives, chunked transfer coding taken off."""
    if not chunked:
        yield from _pieces(handler.rfile, int(handler.headers.get("Content-Length") or 0))
        return
    while size := int(handler.rfile.readline().split(b";")[0], 16):
        yield from _pieces(handler.rfile, size)
        handler.rfile.readline()  # the CRLF that ends the chunk
    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailer fields
        pass


def _chunk(piece):
    return b"%x\r\n%b\r\n" % (len(piece), piece)


def relay(handler, upstream):
    """Send the handler's request on to `upstream` and stream its answer back; returns the status.

    Host and every end-to-end header pass unchanged (the registry sees the login server's
    name; Docker-Content-Digest, Location, Www-Authenticate come back as sent). Bodies stream
    in pieces both ways, so blobs of any size pass without being held in memory.
    """
    chunked = "chunked" in handler.headers.get("Transfer-Encoding", "").lower()
    connection = http.client.HTTPSConnection(upstream.host, upstream.port, context=upstream.context,
                                             timeout=JsonHandler.timeout)
    try:
        try:
            connection.putrequest(handler.command, handler.path, skip_host=True,
                                  skip_accept_encoding=True)
            for name, value in handler.headers.items():
                if name.lower() not in HOP_BY_HOP_HEADERS:
                    connection.putheader(name, value)
            if chunked:
                connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for piece in _request_body(handler, chunked):
                connection.send(_chunk(piece) if chunked else piece)
            if chunked:
                connection.send(b"0\r\n\r\n")
            response = connection.getresponse()
        except OSError as why:
            handler.close_connection = True  # the request body may be half read
            handler.send_reply(acr_error(502, "UNAVAILABLE", f"registry {upstream.url}: {why}"))
            return 502
        _relay_response(handler, response)
        return response.status
    finally:
        connection.close()


def _relay_response(handler, response):
    handler.send_response_only(response.status, response.reason)
    handler.log_request(response.status)
    for name, value in response.getheaders():
        if name.lower() not in HOP_BY_HOP_HEADERS:
            handler.send_header(name, value)
    if handler.command == "HEAD" or response.status in (204, 304):
        handler.end_headers()
        return
    # Without a length the body ends where the upstream's chunks (or its connection) end; the
    # client's connection stays open, so it gets chunks of its own.
    rechunk = response.getheader("Content-Length") is None
    if rechunk:
        handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    while piece := response.read(RELAY_PIECE):
        handler.wfile.write(_chunk(piece) if rechunk else piece)
    if rechunk:
        handler.wfile.write(b"0\r\n\r\n")


# --------------------------------------------------------------------------- TLS listener
# (ServiceHandler, the recording and fault plumbing, is shared with the identity listeners.)

ENTRA_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
FIXED_PATHS = {"/oauth2/exchange": "exchange", "/oauth2/token": "token", "/v2/": "v2"}
ROUTES = {
    ("exchange", "POST"): acr_exchange,
    ("token", "GET"): acr_token_get,
    ("token", "POST"): acr_token_post,
    ("v2", "GET"): registry_ping,
}


def classify(path):
    return "entra" if ENTRA_PATH.match(path) else FIXED_PATHS.get(path, "other")


def route(fake, endpoint, req):
    if endpoint == "entra" and req.method == "POST":
        return entra_token(fake, unquote(ENTRA_PATH.match(req.path).group(1)), req)
    handler = ROUTES.get((endpoint, req.method))
    if handler is None:
        return Reply(404, {"error": "not found"})
    return handler(fake, req)


def fault_reply(fault):
    """The canned answer of a status fault; a non-string body is sent as JSON. body_bytes makes
    a huge answer: the body repeated (spaces if it is empty) to exactly that many bytes."""
    body = fault.get("body", "")
    body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    if fault.get("body_bytes"):
        size = fault["body_bytes"]
        body = ((body or b" ") * (size // max(len(body), 1) + 1))[:size]
    return Reply(fault["status"], body, dict(fault.get("headers", {})))


class JsonHandler(BaseHTTPRequestHandler):
    """Shared plumbing: HTTP/1.1 keep-alive needs a Content-Length on every reply."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections must not pin a thread forever

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_reply(self, reply, truncate=False):
        """Send `reply`; with `truncate`, only the first half of its body, then hang up."""
        body = reply.body if isinstance(reply.body, bytes) else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        headers = {"Content-Type": "application/json"} if body else {}
        headers.update(reply.headers)
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate:
            body = body[:len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)


class ServiceHandler(JsonHandler):
    """A listener whose requests are recorded and can be faulted; subclasses name and route them."""

    def do_GET(self):
        self.serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def endpoint(self, path):
        """The name this request is recorded and faulted under."""
        raise NotImplementedError

    def answer(self, endpoint, req):
        """The Reply the service gives when no fault replaces it."""
        raise NotImplementedError

    def via_proxy(self):
        return False

    def relay_target(self, _path):
        """The Upstream that answers this path instead of the fake, if any."""
        return None

    def serve(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        upstream = self.relay_target(url.path)
        # A relayed body streams through to the upstream: it is neither read nor recorded here.
        body = b"" if upstream else self.read_body()
        req = self.parse(url, body)
        endpoint = self.endpoint(url.path)
        entry = {"endpoint": endpoint, "method": req.method, "host": req.host, "path": url.path,
                 "query": req.query, "headers": req.headers, "form": req.form,
                 "via_proxy": self.via_proxy()}
        fake.recorder.arrive(entry)
        fault = fake.faults.take(endpoint) or {}
        time.sleep(fake.scenario.delay + fault.get("delay_ms", 0) / 1000)
        if fault.get("action") in DROP_ACTIONS:
            fake.recorder.finish(entry, fault["action"])
            self.drop_connection(fault["action"])
            return
        if "status" in fault:
            reply = fault_reply(fault)
            if upstream is not None:
                self.close_connection = True  # the unread body would be taken for the next request
        elif upstream is not None:
            fake.recorder.finish(entry, relay(self, upstream))
            return
        else:
            reply = self.answer(endpoint, req)
        truncate = fault.get("action") == "truncate"
        fake.recorder.finish(entry, "truncate" if truncate else reply.status, req.record)
        self.send_reply(reply, truncate)

    def parse(self, url, body):
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        is_form = content_type == "application/x-www-form-urlencoded"
        form = body.decode("utf-8", "replace") if is_form else ""
        return Request(
            method=self.command, host=self.headers.get("Host", ""), path=url.path,
            query=self._first_values(url.query), form=self._first_values(form),
            headers={name: self.headers[name] for name in Recorder.RECORDED_HEADERS
                     if name in self.headers},
            query_string=url.query, body_text=form)

    @staticmethod
    def _first_values(text):
        values = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            values.setdefault(key, value)
        return values

    def drop_connection(self, action):
        if action == "reset":
            # Linger 0 makes close() send RST instead of FIN: the client sees a connection reset.
            # Closed here, because socketserver's orderly shutdown would send a FIN first.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True


class TlsHandler(ServiceHandler):
    def endpoint(self, path):
        return "v2" if self.relay_target(path) else classify(path)

    def answer(self, endpoint, req):
        return route(self.server.fake, endpoint, req)

    def via_proxy(self):
        return self.client_address[1] in self.server.fake.proxied_ports

    def relay_target(self, path):
        upstream = self.server.fake.registry_upstream
        return upstream if upstream is not None and (path == "/v2" or path.startswith("/v2/")) else None

    def do_HEAD(self):
        # Registry clients check blobs and manifests with HEAD. The fake's own endpoints never
        # answered it, so without an upstream it stays what http.server makes of it: 501.
        if self.relay_target(urlsplit(self.path).path) is None:
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        self.serve()


# --------------------------------------------------------------------------- identity listeners

class IdentityHandler(ServiceHandler):
    """Plain HTTP, like the real ones: every request on the listener counts as its service's."""

    service = None  # an IdentityService, set by the subclass

    def endpoint(self, _path):
        return self.service.name

    def answer(self, _endpoint, req):
        return identity_token(self.server.fake, self.service, req)


class HimdsHandler(IdentityHandler):
    service = HIMDS


class ImdsHandler(IdentityHandler):
    service = IMDS


# --------------------------------------------------------------------------- proxy listener

def _abort(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def splice(a, b):
    """Copy bytes both ways until one side closes; a reset on one side is passed on as a reset."""
    peer = {a: b, b: a}
    while True:
        readable, _, _ = select.select([a, b], [], [], SPLICE_IDLE_SECONDS)
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                _abort(peer[sock])
                return
            if not data:
                return
            try:
                peer[sock].sendall(data)
            except OSError:
                return


class ProxyHandler(JsonHandler):
    rbufsize = 0  # unbuffered, so no byte after the CONNECT header is stranded in a read buffer

    def do_CONNECT(self):
        fake = self.server.fake
        fake.recorder.connect(self.path)
        host, _, port = self.path.rpartition(":")
        if port != "443" or not any(name_matches(name, host)
                                    for name in (*SERVER_DNS_NAMES, SERVER_IP)):
            self.close_connection = True
            self.send_reply(Reply(403, {"error": f"CONNECT to {self.path} is not allowed"},
                                  {"Connection": "close"}))
            return
        upstream = socket.create_connection(("127.0.0.1", fake.tls_port))
        local_port = upstream.getsockname()[1]
        fake.proxied_ports.add(local_port)
        try:
            self.send_response(200, "Connection established")
            self.end_headers()
            splice(self.connection, upstream)
        finally:
            fake.proxied_ports.discard(local_port)
            upstream.close()
            self.close_connection = True


# --------------------------------------------------------------------------- admin listener

def admin_set_faults(fake, doc):
    fake.faults.set(doc.get("endpoint"), doc.get("faults"), bool(doc.get("always", False)))
    return Reply(200, {})


def admin_reset(fake, _doc):
    fake.recorder.clear()
    fake.faults.clear()
    return Reply(200, {})


def admin_set_scenario(fake, doc):
    fake.set_scenario(doc)
    return Reply(200, {})


def admin_clear_faults(fake, _doc):
    fake.faults.clear()
    return Reply(200, {})


def admin_set_registry_upstream(fake, doc):
    fake.registry_upstream = Upstream.parse(doc)
    return Reply(200, {})


def admin_issue_refresh_token(fake, doc):
    """A refresh token as the exchange would issue it, but with any lifetime (even a negative
    one: already expired), for tests of what registries make of such tokens."""
    return Reply(200, {"refresh_token": issue_refresh_token(
        fake, doc["registry"], doc["subject"], doc.get("tenant"), int(doc["lifetime_seconds"]))})


ADMIN_ROUTES = {
    ("GET", "/requests"): lambda fake, _doc: Reply(200, fake.recorder.requests()),
    ("GET", "/connects"): lambda fake, _doc: Reply(200, fake.recorder.connects()),
    ("GET", "/scenario"): lambda fake, _doc: Reply(200, fake.scenario.doc),
    ("GET", "/issued"): lambda fake, _doc: Reply(200, fake.issued.all()),
    ("POST", "/reset"): admin_reset,
    ("PUT", "/scenario"): admin_set_scenario,
    ("POST", "/faults"): admin_set_faults,
    ("DELETE", "/faults"): admin_clear_faults,
    ("PUT", "/registry-upstream"): admin_set_registry_upstream,
    ("POST", "/refresh-token"): admin_issue_refresh_token,
}


class AdminHandler(JsonHandler):
    def do_GET(self):
        handler = ADMIN_ROUTES.get((self.command, self.path))
        body = self.read_body()
        if handler is None:
            self.send_reply(Reply(404, {"error": "not found"}))
            return
        try:
            reply = handler(self.server.fake, json.loads(body) if body else {})
        except (ValueError, TypeError, AttributeError, KeyError) as why:
            reply = Reply(400, {"error": f"{type(why).__name__}: {why}"})
        self.send_reply(reply)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, *args):
        pass  # the tests poll this listener; its lines would bury the interesting ones


# --------------------------------------------------------------------------- servers

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # 100+ plugin processes may connect at once

    def __init__(self, handler, fake=None):
        super().__init__((SERVER_IP, 0), handler)
        self.fake = fake

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # clients hang up or fail the handshake: normal in tests
            print(f"{type(self).__name__} {client_address}: {error}", file=sys.stderr, flush=True)
        else:
            super().handle_error(request, client_address)


class TlsServer(Server):
    def __init__(self, handler, cert, key):
        super().__init__(handler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.set_alpn_protocols(["http/1.1"])

    def finish_request(self, request, client_address):
        # The handshake runs here, in the connection's own thread, not in the accept loop.
        request.settimeout(JsonHandler.timeout)
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)


def write_ports(state_dir, ports):
    tmp = state_dir / "ports.json.tmp"
    tmp.write_text(json.dumps(ports))
    os.replace(tmp, state_dir / "ports.json")  # readers never see a half-written file


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--scenario", type=Path)
    args = parser.parse_args()
    args.state_dir.mkdir(parents=True, exist_ok=True)
    scenario = json.loads(args.scenario.read_text()) if args.scenario else DEFAULT_SCENARIO

    cert, key, ca = make_pki(args.state_dir)
    tls = TlsServer(TlsHandler, cert, key)
    key_dir = args.state_dir / "azcmagent-tokens"
    key_dir.mkdir(mode=0o700, exist_ok=True)  # there before the first challenge, as on an Arc machine
    registry_token_cert = args.state_dir / "registry-token.pem"
    fake = Fake(tls.server_address[1], scenario, key_dir, RegistryTokenSigner(registry_token_cert))
    tls.fake = fake
    servers = {"tls": tls, "proxy": Server(ProxyHandler, fake), "admin": Server(AdminHandler, fake),
               "himds": Server(HimdsHandler, fake), "imds": Server(ImdsHandler, fake)}

    # Block the stop signals before starting threads (they inherit the mask) so that only
    # sigwait below sees them, and shutdown runs in the main thread.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports = {name: server.server_address[1] for name, server in servers.items()}
    write_ports(args.state_dir, {**ports, "ca": str(ca), "registry_token_cert": str(registry_token_cert)})
    print("ready", flush=True)

    signal.sigwait(stop_signals)
    for server in servers.values():
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
