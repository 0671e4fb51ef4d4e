"""The admin API: how tests steer and inspect a running fake, as JSON over plain HTTP.

It is the only way into the fake's state from outside (fake_client.FakeClient is its
client), so every knob a test needs is a route here. Its own requests are neither recorded
nor faulted, so polling it never shows up in what a test measures, and it logs nothing, so
its lines never bury the interesting ones. A malformed request changes nothing and gets 400
with the exception's type and text, so a broken test says what it sent wrong.
"""

import json

from acr import Upstream, issue_refresh_token
from http_service import JsonHandler
from messages import Reply, not_found

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
            self.send_reply(not_found())
            return
        try:
            reply = handler(self.server.fake, json.loads(body) if body else {})
        except (ValueError, TypeError, AttributeError, KeyError) as why:
            reply = Reply(400, {"error": f"{type(why).__name__}: {why}"})
        self.send_reply(reply)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, *args):
        pass  # the tests poll this listener; its lines would bury the interesting ones
