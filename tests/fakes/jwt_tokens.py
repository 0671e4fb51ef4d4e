"""Compact JWS: the tokens the fake issues, and reading the ones clients send it.

The keys of the tokens the fake issues live only in this process (for registry access
tokens only the certificate is published, as registry-token.pem), so a token that verifies,
here or at a registry trusting that certificate, was issued by this run of the fake. Tokens
from clients are taken apart without trust by parse_jwt; signature_valid and
certificate_index check them the way Entra does (PS256 salt length, x5t/x5t#S256
thumbprints), strict where Entra is strict.
"""

import base64
import hashlib
import hmac
import json
import os
import time
from collections import namedtuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from pki import write_signing_certificate


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
        der = write_signing_certificate(self._key, cert_path)
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


def certificate_index(pems):
    """Registered certificates' public keys by JWT header parameter and thumbprint, as Entra
    looks them up: x5t#S256 is the SHA-256 of the DER certificate, x5t its SHA-1."""
    index = {"x5t#S256": {}, "x5t": {}}
    for pem in pems:
        certificate = x509.load_pem_x509_certificate(pem.encode())
        der = certificate.public_bytes(serialization.Encoding.DER)
        index["x5t#S256"][_b64url(hashlib.sha256(der).digest())] = certificate.public_key()
        index["x5t"][_b64url(hashlib.sha1(der).digest())] = certificate.public_key()
    return index
