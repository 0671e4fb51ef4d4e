"""Managed identity endpoints: Azure Arc's HIMDS and the Azure VM's IMDS token requests.

One function serves both, because the two differ only where IdentityService says (API
versions, HIMDS's key-file challenge, IMDS's extra field), and the plugin must treat them
alike everywhere else. Tokens are Entra access tokens (entra.issue_access_token) for the
identities the scenario gives the machine. The HIMDS challenge writes a root-only key file
(or announces the file a test prepared) and then accepts the contents of every key file it
ever announced, not only the latest: concurrent clients each answer their own challenge.
"""

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from entra import ENTRA_TOKEN_LIFETIME, issue_access_token
from messages import Reply, not_found
from pki import write_file

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
        return not_found()
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
    key = req.credentials("basic")
    if key is not None and key in fake.himds_keys:
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
            write_file(path, os.urandom(32).hex().encode(), 0o600)
        # http.server hands header values over decoded as Latin-1: compare in the same terms.
        fake.himds_keys.add(path.read_bytes().decode("latin-1"))
    except OSError as why:
        return identity_error(500, "server_error", f"the fake cannot prepare the key file: {why}")
    req.record["key_file"] = str(path)
    return Reply(401, None, {"WWW-Authenticate": f"Basic realm={path}"})
