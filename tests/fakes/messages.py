"""Request and Reply: what the fake's services see of HTTP, and what they answer.

The services (entra, acr, managed_identity) are functions of (fake, Request) -> Reply and
never touch a socket, so http_service alone decides how a request is recorded, faulted or
relayed, and every listener encodes a Reply the same way. A service notes what the request
log should show about a request in Request.record.
"""

from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int
    body: object = None            # JSON-encoded unless already bytes
    headers: dict = field(default_factory=dict)


def not_found():
    return Reply(404, {"error": "not found"})


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict
    headers: dict       # the recorded ones (Recorder.RECORDED_HEADERS), by lower-case name
    form: dict
    query_string: str   # raw text, for repeatable parameters such as scope
    body_text: str
    record: dict = field(default_factory=dict)  # what a handler adds to the request log entry

    def credentials(self, scheme):
        """What follows the lower-case `scheme` in Authorization (any case there), else None."""
        given, _, credentials = self.headers.get("authorization", "").partition(" ")
        return credentials if given.lower() == scheme else None
