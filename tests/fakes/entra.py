"""Microsoft Entra ID's token endpoint: client_credentials for an app, by secret or assertion.

The plugin's error handling is only as good as the errors it is tested against, so checks
run in Entra's order and refusals carry Entra's status, error, AADSTS code and text, with
fresh trace and correlation ids. Client assertions are held to what Entra enforces (PS256
salt length, thumbprint header, audience = the token URL as addressed, lifetime limits);
what an assertion looked like is noted for the request log. issue_access_token is the one
place Entra access tokens are made, for apps here and for managed identities too.
"""

import time
import uuid
from datetime import datetime, timezone

from jwt_tokens import SIGNATURE_PADDINGS, InvalidToken, parse_jwt, signature_valid
from messages import Reply

ENTRA_TOKEN_LIFETIME = 3599
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_CLOCK_SKEW = 60     # seconds of "not before" in the future that Entra tolerates
ASSERTION_MAX_LIFETIME = 600  # Entra refuses certificate assertions valid for more than 10 minutes

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

