"""A fake LLM server for tests: every provider's wire format, on 127.0.0.1, in-process.

```python
from locus.testing import FakeLLMServer, Turn

async with FakeLLMServer() as server:
    server.script(Turn(text="Hello!"))
    model = get_model("openai:gpt-4o", api_key="sk-test", base_url=server.openai_url)
    reply = await model.complete([Message.user("Hi")])
    assert server.requests[0].json()["model"] == "gpt-4o"
```

Each request takes the next scripted `Turn` and is answered in the format of the path it was
sent to (OpenAI `/v1/chat/completions`, OCI `/openai/v1/chat/completions`, Anthropic
`/v1/messages`, Ollama `/api/chat`, OCI native `/20231130/actions/chat`), complete or
streamed as the request asks. Raw `Reply`s queued with `enqueue` take precedence, for faults.
Given a public key, OCI requests must carry a valid signature, or get a 401.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import deque
from typing import TYPE_CHECKING, Any

from locus.testing._formats import Turn, render
from locus.testing._http import FakeServer, Recorded, Reply

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = ["FakeLLMServer", "FakeServer", "Recorded", "Reply", "Turn", "verify_oci_signature"]

_OCI_PATHS = ("/openai/v1/", "/20231130/")
_PARAM = re.compile(r'(\w+)="([^"]*)"')


def verify_oci_signature(request: Recorded, public_key: RSAPublicKey) -> str:
    """Check an OCI request signature the way the service does; return its `keyId`.

    Raises:
        ValueError: The signature, or a body header it covers, does not match.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    scheme, _, params = request.headers.get("authorization", "").partition(" ")
    fields = dict(_PARAM.findall(params))
    if scheme != "Signature" or not {"headers", "keyId", "signature"} <= fields.keys():
        raise ValueError("no OCI signature")
    names = fields["headers"].split()
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"{name}: {request.method.lower()} {request.path}")
        elif name in request.headers:
            lines.append(f"{name}: {request.headers[name]}")
        else:
            raise ValueError(f"signed header {name} is missing")
    if "x-content-sha256" in names:
        digest = base64.b64encode(hashlib.sha256(request.body).digest()).decode()
        if request.headers["x-content-sha256"] != digest:
            raise ValueError("x-content-sha256 does not match the body")
    try:
        public_key.verify(
            base64.b64decode(fields["signature"]), "\n".join(lines).encode(), PKCS1v15(), SHA256()
        )
    except InvalidSignature:
        raise ValueError("the signature does not verify") from None
    return str(fields["keyId"])


class FakeLLMServer(FakeServer):
    """A fake LLM provider on 127.0.0.1 answering scripted `Turn`s in each wire format.

    Args:
        public_key: When given, OCI requests are signature-checked against it; a bad or
            missing signature is answered 401 `NotAuthenticated`.
    """

    def __init__(self, *, public_key: RSAPublicKey | None = None) -> None:
        super().__init__()
        self.turns: deque[Turn] = deque()
        self.public_key = public_key
        self.signed_key_ids: list[str] = []

    @property
    def openai_url(self) -> str:
        """The base URL for OpenAI-compatible clients (`.../v1`)."""
        return f"{self.url}/v1"

    @property
    def oci_openai_url(self) -> str:
        """The base URL for `OCIOpenAIModel` (`.../openai/v1`)."""
        return f"{self.url}/openai/v1"

    def script(self, *turns: Turn) -> None:
        """Queue answers for the next requests."""
        self.turns.extend(turns)

    async def answer(self, request: Recorded) -> Reply:
        """A queued raw reply, else the next turn in the format of the request's path."""
        if self.replies or not self.turns:
            return await super().answer(request)
        if self.public_key is not None and request.path.startswith(_OCI_PATHS):
            try:
                self.signed_key_ids.append(verify_oci_signature(request, self.public_key))
            except ValueError as exc:
                body = {"code": "NotAuthenticated", "message": f"signature check failed: {exc}"}
                return Reply.json(json.dumps(body).encode(), status=401)
        return render(request.path, self.turns.popleft(), _json_body(request))


def _json_body(request: Recorded) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
