"""Credentials for the identity tests: app certificates, service-account token issuers, JWTs.

What a real deployment holds, made fresh per test run:
  - an app registration's certificate and private key: the certificate goes into the fake's
    scenario ("certificates"), the key (optionally encrypted) to the plugin;
  - a cluster's service-account token issuer: its public key goes into the scenario
    ("issuers"), its tokens to the plugin (KEP-4412 or a federated token file);
  - client assertions signed the way MSAL signs them, for the fake's own self-tests.

Written independently of tests/fakes/fake_azure.py on purpose, so that a misreading of the
JWT rules in one is not silently shared by the other. Needs python3-cryptography, hence
/usr/bin/python3.
"""

import base64
import hashlib
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
KEY_FORMATS = {"pkcs8": serialization.PrivateFormat.PKCS8,                # BEGIN PRIVATE KEY
               "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL}   # BEGIN RSA PRIVATE KEY
__all__ = ["FEDERATION_AUDIENCE", "certificate_thumbprints", "client_assertion", "decode_jwt",
           "encrypt_key", "make_certificate", "make_issuer", "service_account_token", "sign_jwt"]


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key, key_format="pkcs8", encryption=None):
    return key.private_bytes(serialization.Encoding.PEM, KEY_FORMATS[key_format],
                             encryption or serialization.NoEncryption()).decode()


def _load_private_key(key_pem, password=None):
    return serialization.load_pem_private_key(key_pem.encode(),
                                              None if password is None else password.encode())


def make_certificate(common_name, lifetime_days=365, key_format="pkcs8"):
    """A self-signed RSA 2048 certificate as an app registration holds it: (cert_pem, key_pem).

    key_format "pkcs8" (BEGIN PRIVATE KEY) or "pkcs1" (BEGIN RSA PRIVATE KEY), unencrypted.
    """
    key = _new_rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(hours=1))
                   .not_valid_after(now + timedelta(days=lifetime_days))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM).decode(),
            _private_pem(key, key_format))


def encrypt_key(key_pem, password):
    """key_pem re-encoded as an encrypted PKCS#8 PEM (BEGIN ENCRYPTED PRIVATE KEY)."""
    encryption = serialization.BestAvailableEncryption(password.encode())
    return _private_pem(_load_private_key(key_pem), "pkcs8", encryption)


def certificate_thumbprints(cert_pem):
    """The JWT header thumbprints of a certificate: {"x5t": SHA-1, "x5t#S256": SHA-256}, base64url."""
    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    return {"x5t": _b64url(hashlib.sha1(der).digest()),
            "x5t#S256": _b64url(hashlib.sha256(der).digest())}


def make_issuer():
    """A cluster's service-account token issuer: (issuer_url, private_key, public_pem).

    The URL is unique per call, so two issuers in one scenario never collide.
    """
    key = _new_rsa_key()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"https://oidc.k3s.example/{uuid.uuid4()}", key, public_pem.decode()


def sign_jwt(header, claims, private_key, pss_salt_length=32):
    """Compact JWS of `claims` signed with an RSA key; header["alg"] says PS256 or RS256.

    PS256 salts are as long as the digest, as MSAL and Go sign; a test may pass another
    pss_salt_length (padding.PSS.MAX_LENGTH: OpenSSL's default) to check it is refused.
    """
    signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + _b64url(json.dumps(claims, separators=(",", ":")).encode()))
    if header["alg"] == "PS256":
        scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=pss_salt_length)
    else:
        scheme = padding.PKCS1v15()
    return signing_input + "." + _b64url(private_key.sign(signing_input.encode(), scheme,
                                                          hashes.SHA256()))


def _with_changes(claims, changes):
    """claims updated by changes, where a None value removes the claim."""
    merged = {**claims, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def _key_id(public_key):
    """The kid Kubernetes puts on service-account tokens: base64url SHA-256 of the SPKI DER."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return _b64url(hashlib.sha256(der).digest())


def service_account_token(issuer, private_key, namespace, name, audience=FEDERATION_AUDIENCE,
                          lifetime=3600, **extra_claims):
    """An RS256 service-account token like the kubelet requests for a pod (TokenRequest API).

    `audience` is one string or a list; extra_claims add or replace claims (None removes one).
    """
    now = int(time.time())
    claims = {
        "aud": [audience] if isinstance(audience, str) else list(audience),
        "exp": now + lifetime, "iat": now, "nbf": now, "iss": issuer, "jti": str(uuid.uuid4()),
        "kubernetes.io": {
            "namespace": namespace,
            "node": {"name": "k3s-node-1", "uid": str(uuid.uuid4())},
            "pod": {"name": f"{name}-7d4b9c-x2k8p", "uid": str(uuid.uuid4())},
            "serviceaccount": {"name": name, "uid": str(uuid.uuid4())},
        },
        "sub": f"system:serviceaccount:{namespace}:{name}",
    }
    header = {"alg": "RS256", "kid": _key_id(private_key.public_key())}
    return sign_jwt(header, _with_changes(claims, extra_claims), private_key)


def client_assertion(cert_pem, key_pem, client_id, token_url, alg="PS256", thumbprint=None,
                     lifetime=600, pss_salt_length=32, **claim_changes):
    """A certificate client assertion for the Entra token endpoint `token_url`, as MSAL builds it.

    alg PS256 names the certificate by x5t#S256, RS256 by x5t, unless `thumbprint` names the
    header parameter to use. claim_changes add or replace claims (None removes one).
    """
    parameter = thumbprint or ("x5t#S256" if alg == "PS256" else "x5t")
    header = {"alg": alg, "typ": "JWT", parameter: certificate_thumbprints(cert_pem)[parameter]}
    now = int(time.time())
    claims = {"aud": token_url, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
              "nbf": now, "iat": now, "exp": now + lifetime}
    return sign_jwt(header, _with_changes(claims, claim_changes), _load_private_key(key_pem),
                    pss_salt_length)


def decode_jwt(token):
    """(header, claims) of a compact JWT, unverified."""
    header, payload = token.split(".")[:2]
    return json.loads(_b64url_decode(header)), json.loads(_b64url_decode(payload))
