"""The fake's throw-away PKI: the CA clients pin, the one server certificate, key files.

Everything is made anew at every start and is only good for this run of the fake, so a
leaked key proves nothing and no test depends on a previous run. The server certificate
names every host the fake answers to; the CONNECT proxy asks server_certificate_covers()
so that it only splices to names a client could then verify. EC P-256 throughout keeps
start-up fast. Key material is written with its mode from the moment the file exists.
"""

import ipaddress
import os
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
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


def write_file(path, data, mode):
    """Create or replace `path` with `data`, created with `mode` (less what the umask takes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def make_pki(state_dir):
    """Create a throw-away CA and one server certificate for every name the fake answers to.

    Returns (server_cert_path, server_key_path, ca_path).
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
    write_file(paths[0], cert.public_bytes(serialization.Encoding.PEM), 0o644)
    write_file(paths[1], key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()), 0o600)
    write_file(paths[2], ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return paths


def write_signing_certificate(key, path):
    """Write a self-signed certificate for the EC `key` to `path` (PEM); returns it as DER."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake ACR token signing")])
    cert = _certificate(name, name, key.public_key(), key, [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True), True),
    ])
    write_file(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert.public_bytes(serialization.Encoding.DER)


def name_matches(pattern, host):
    """Certificate-style match: same number of labels; a '*' label matches exactly one label."""
    want, got = pattern.lower().split("."), host.lower().split(".")
    return len(want) == len(got) and all(w in ("*", g) and g for w, g in zip(want, got))


def server_certificate_covers(host):
    """Whether the server certificate is valid for `host` (a name or SERVER_IP)."""
    return any(name_matches(name, host) for name in (*SERVER_DNS_NAMES, SERVER_IP))
