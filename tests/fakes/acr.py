"""Azure Container Registry: the token service (exchange, /oauth2/token) and the registry API.

Like ACR, one host serves both, so clients follow a registry's auth challenge back to the
same login server. The exchange accepts only Entra access tokens this fake issued, for an
identity with AcrPull on that registry; the refresh tokens it hands out pull and nothing
more, while a registry's admin user gets pull, push and delete. Registry access tokens are
signed so that a real registry (docker-registry configured like ACR's token service)
accepts them, and once a test names such an Upstream, /v2/* is relayed to it, bodies
streamed both ways and never held whole, so real clients can push and pull real images.
Errors have ACR's {"errors": [{"code", "message"}]} shape.
"""

import base64
import http.client
import json
import re
import ssl
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from jwt_tokens import InvalidToken
from messages import Reply

NULL_GUID = "00000000-0000-0000-0000-000000000000"
ACR_ACCESS_TOKEN_LIFETIME = 4500  # real ACR access tokens last about 75 minutes

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
    if (claims.get("appid") not in scenario.registries[req.host.lower()]
            and claims.get("appid") not in scenario.abac.get(req.host.lower(), {})):
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


def _basic_credentials(req):
    """(username, password) from an 'Authorization: Basic ...' header, or None."""
    value = req.credentials("basic")
    if value is None:
        return None
    try:
        username, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except ValueError:
        return None
    return (username, password) if sep else None


def _scopes(text):
    """Every scope parameter in a query or form, in order (a token request may ask for several)."""
    return [v for k, v in parse_qsl(text) if k == "scope"]


def _granted_access(scopes, permitted_actions):
    """Docker token 'access' claim: each 'type:name:actions' scope cut down to what the token
    allows; `permitted_actions(name)` says what that is for each repository."""
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": name,
                       "actions": [a for a in actions.split(",") if a in permitted_actions(name)]})
    return access


def pull_permissions(fake, registry, subject):
    """What an AcrPull refresh token of `subject` may do on each repository: pull, unless the
    registry is in ABAC mode, where only the repositories its conditions name may be read."""
    abac = fake.scenario.abac.get(registry.lower())
    if abac is None:
        return lambda _name: PULL_ACTIONS
    prefixes = abac.get(subject, [])
    return lambda name: PULL_ACTIONS if any(name.startswith(p) for p in prefixes) else frozenset()


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
                                    pull_permissions(fake, req.host, claims["sub"]))


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
    credentials = _basic_credentials(req)
    scopes = _scopes(req.query_string)
    if credentials is not None and credentials == fake.scenario.admins.get(req.host.lower()):
        return issue_access_token_reply(fake, req.host, credentials[0], None, scopes,
                                        lambda _name: ADMIN_ACTIONS)
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
    scopes = _scopes(req.body_text)
    return acr_access_token(fake, req, req.form.get("refresh_token", ""), scopes)


def _access_claims(fake, req):
    """The claims of the request's bearer access token for this registry, or None."""
    token = req.credentials("bearer")
    if token is None:
        return None
    try:
        claims = fake.registry_signer.verify(token)
    except InvalidToken:
        return None
    ok = claims.get("grant_type") == "access_token" and claims.get("aud") == req.host
    return claims if ok else None


def _challenge(req, scope=None):
    """401 with the Www-Authenticate challenge a registry sends, naming `scope` if given."""
    challenge = f'Bearer realm="https://{req.host}/oauth2/token",service="{req.host}"'
    if scope:
        challenge += f',scope="{scope}"'
    reply = acr_error(401, "UNAUTHORIZED", "authentication required")
    reply.headers["Www-Authenticate"] = challenge
    return reply


def registry_ping(fake, req):
    """GET /v2/: 200 with a valid bearer access token for this registry, else the auth challenge."""
    return Reply(200, {}) if _access_claims(fake, req) is not None else _challenge(req)


MANIFEST_PATH = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def registry_manifest(fake, req):
    """HEAD or GET /v2/<repository>/manifests/<tag or digest> for the scenario's repositories:
    the manifest needs a bearer token granting pull on that repository (401 with the challenge
    otherwise), then 404 MANIFEST_UNKNOWN / NAME_UNKNOWN as a registry answers."""
    repository, reference = MANIFEST_PATH.match(req.path).groups()
    claims = _access_claims(fake, req)
    granted = claims is not None and any(
        entry.get("type") == "repository" and entry.get("name") == repository
        and "pull" in entry.get("actions", []) for entry in claims.get("access", []))
    if not granted:
        return _challenge(req, f"repository:{repository}:pull")
    tags = fake.scenario.repositories.get(req.host.lower(), {}).get(repository)
    if tags is None:
        return acr_error(404, "NAME_UNKNOWN", f"repository name not known to registry: {repository}")
    digest = tags.get(reference) or (reference if reference in tags.values() else None)
    if digest is None:
        return acr_error(404, "MANIFEST_UNKNOWN", f"manifest tagged by \"{reference}\" is not found")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}).encode()
    req.record["accept"] = req.headers.get("accept", "")
    return Reply(200, manifest, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": digest})


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
                                             timeout=handler.timeout)
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

