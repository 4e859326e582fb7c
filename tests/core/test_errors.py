from __future__ import annotations

from locus.core import errors
from locus.core.errors import LocusError, ModelError, ModelStreamError, redact


def test_every_error_is_a_locus_error_with_a_distinct_kind():
    classes = [getattr(errors, name) for name in errors.__all__ if name[0].isupper()]
    kinds = [cls.kind for cls in classes]
    assert len(set(kinds)) == len(kinds)
    assert all(issubclass(cls, LocusError) for cls in classes)


def test_model_error_carries_context_and_chains_its_cause():
    cause = ValueError("root")
    error = ModelStreamError(
        "openai: broke",
        cause=cause,
        provider="openai",
        status_code=200,
        request_id="r1",
        reason="x",
    )
    assert error.__cause__ is cause
    assert (error.provider, error.status_code, error.request_id, error.reason) == (
        "openai",
        200,
        "r1",
        "x",
    )
    assert error.message == "openai: broke"
    assert (
        repr(error)
        == "ModelStreamError('openai: broke', provider='openai', status_code=200, request_id='r1')"
    )
    assert isinstance(error, ModelError)


def test_redaction_of_known_key_shapes_and_given_secrets():
    text = (
        "key sk-proj-abcdefghijklmnop and sk-ant-api03-abcdefghijkl, "
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig, "
        '"api_key": "hunter2hunter2", passphrase=opensesame, custom s3cr3t-value '
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    )
    out = redact(text, ("s3cr3t-value",))
    for secret in (
        "abcdefghijklmnop",
        "api03-abcdefghijkl",
        "eyJhbGci",
        "hunter2",
        "opensesame",
        "s3cr3t-value",
        "MIIEow",
    ):
        assert secret not in out
    assert out.startswith("key sk-proj-[REDACTED] and sk-ant-[REDACTED]")


def test_model_error_redacts_and_truncates_its_body():
    error = ModelError(
        "failed for sk-abcdefghijklmnopqrstu", body="x" * 5000 + " sk-abcdefghijklmnopqrstu"
    )
    assert "abcdefghijklmnopqrstu" not in str(error)
    assert error.body == "x" * 2000
