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

This file only wires the listeners together; each concept has a module of its own beside it:
pki (CA, certificates, key files), jwt_tokens (issued and presented JWS), scenario (the
state the listeners share), messages (Request, Reply), entra, acr (token service, registry
relay), managed_identity (HIMDS, IMDS), http_service (recording, faults, routing, servers),
proxy and admin. The test harnesses put this directory first on sys.path, so a module here
must not take the name of one in tests/integration or tests/e2e.
"""

import argparse
import json
import os
import signal
import threading
from pathlib import Path

from admin import AdminHandler
from http_service import HimdsHandler, ImdsHandler, Server, TlsHandler, TlsServer
from jwt_tokens import RegistryTokenSigner
from pki import make_pki
from proxy import ProxyHandler
from scenario import DEFAULT_SCENARIO, Fake


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
