"""`construct` gives what validation gives: the same values, the same errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from locus.models._construct import construct
from locus.models.base import ChatModel
from locus.models.native.anthropic import AnthropicConfig
from locus.models.native.ollama import OllamaConfig
from locus.models.native.openai import OpenAIConfig, OpenAIModel
from locus.models.providers.oci import OCIAuthType, OCIConfig
from locus.models.providers.oci.openai_compat import OCIOpenAIConfig
from locus.transport.retry import RetryPolicy

CLIENT = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
POLICY = RetryPolicy(max_retries=1)


class Shapes(BaseModel):
    """Field shapes the configs do not have, each of which `construct` leaves to pydantic."""

    model_config = ConfigDict(extra="forbid")

    aliased: int = Field(default=0, alias="other")
    floats: list[float] = Field(default=[])
    counts: dict[str, int] = Field(default={})
    pairs: dict[int, str] = Field(default={})
    short: str = Field(default="", max_length=3)
    capped: float = Field(default=1.0, le=5)
    level: int | str | None = None
    level_or_ratio: int | float = 0
    when: datetime | None = None
    where: Path | None = None
    named: tuple[str, ...] = ()
    anything: Any = None


class Ignoring(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = "x"


CONFIGS = [
    AnthropicConfig,
    OCIConfig,
    OCIOpenAIConfig,
    OllamaConfig,
    OpenAIConfig,
    Shapes,
    Ignoring,
]

# Right and wrong values for every kind of field the configs have.
VALUES = st.sampled_from(
    [
        None,
        "",
        "text",
        "5",
        "1.5",
        "true",
        "api_key",
        "instance_principal",
        0,
        1,
        -1,
        4096,
        2**60,
        0.0,
        0.7,
        -0.5,
        float("inf"),
        True,
        False,
        [],
        ["a", "b"],
        ["a", 1],
        (),
        ("a",),
        {},
        {"k": "v"},
        {"k": 1},
        {1: "v"},
        SecretStr("sk-secret"),
        {"k": 1.5},
        {1: "v", 2: "w"},
        datetime(2026, 1, 1, tzinfo=UTC),
        Path("/tmp"),
        OCIAuthType.INSTANCE_PRINCIPAL,
        CLIENT,
        POLICY,
        object(),
    ]
)


def outcome(make):
    """The values, types and sets of the instance made, or where and why making it failed."""
    try:
        made = make()
    except ValidationError as exc:
        return ("error", sorted((str(e["loc"]), e["type"]) for e in exc.errors()))
    fields = {}
    for name, value in made.__dict__.items():
        shown = value.get_secret_value() if isinstance(value, SecretStr) else value
        if value is CLIENT or value is POLICY:
            shown = "the instance given"
        fields[name] = (type(value), shown)
    return ("ok", fields, made.model_fields_set, made.model_extra)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_construct_gives_what_validation_gives(config, data):
    names = st.sampled_from([*config.model_fields, "extra_option", "other"])
    values = data.draw(st.dictionaries(names, VALUES, max_size=6))
    assert outcome(lambda: construct(config, **values)) == outcome(lambda: config(**values))


def test_exact_values_are_taken_as_they_are_and_containers_copied():
    stop = ["END"]
    config = construct(OpenAIConfig, stop_sequences=stop, http_client=CLIENT, temperature=1)
    assert config.stop_sequences == ["END"]
    assert config.stop_sequences is not stop  # validation copies a list too
    assert config.http_client is CLIENT
    assert type(config.temperature) is float


def test_bounds_and_coercions_go_through_validation():
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        construct(OpenAIConfig, max_retries=-1)
    assert construct(OpenAIConfig, max_tokens="5").max_tokens == 5


def test_classes_with_validators_are_always_validated():
    class Checked(BaseModel):
        name: str = Field(default="x")

        @field_validator("name")
        @classmethod
        def upper(cls, value: str) -> str:
            return value.upper()

    assert construct(Checked, name="abc").name == "ABC"


def test_a_model_holds_its_config_as_validation_would():
    built = OpenAIModel(model="gpt-4o", api_key="sk-test-12345678", stop_sequences=["x"])
    validated = OpenAIModel.__new__(OpenAIModel)
    BaseModel.__init__(validated, config=built.config)  # what ChatModel.__init__ spares
    assert built.config is validated.config
    assert built.model_fields_set == validated.model_fields_set == {"config"}
    assert built.model_extra == validated.model_extra
    assert built.__pydantic_private__ == {
        **validated.__pydantic_private__,
        "_quirks": built._quirks,
    }
    assert built.bind_tools([]).config is built.config


def test_a_model_given_anything_but_a_config_instance_validates_it():
    model = OpenAIModel.__new__(OpenAIModel)
    ChatModel.__init__(model, config={"model": "gpt-4o", "max_tokens": "7"})
    assert type(model.config) is OpenAIConfig
    assert model.config.max_tokens == 7
    with pytest.raises(ValidationError):
        ChatModel.__init__(OpenAIModel.__new__(OpenAIModel), config=AnthropicConfig())
