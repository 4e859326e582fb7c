"""Creating configs without pydantic's validator where validation would change nothing.

Validating a pydantic class the first time builds its schema and validator, and runs
pydantic's plugin discovery (importing `importlib.metadata`, scanning every installed
distribution): most of what creating a model would cost. Yet most constructor arguments
come out of validation exactly as they went in: a `str` for a `str` field, an `int` within
its bounds for an `int` field, a client instance for a client field. For such arguments the
instance is built with `model_construct`; any other argument (one to coerce, a bound broken,
a type only pydantic can check) is validated as usual, for the same result or the same
`ValidationError`. `tests/models/test_construct.py` holds the two paths to each other.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import types
import typing
from collections.abc import Collection
from typing import Any, TypeVar, get_args, get_origin

from annotated_types import Ge, Gt
from pydantic import BaseModel, SecretStr

__all__ = ["construct"]

M = TypeVar("M", bound=BaseModel)

_VALIDATE = object()  # the value needs pydantic's validator
_SCALARS = (str, int, bool)
_UNIONS = (typing.Union, types.UnionType)


def construct(cls: type[M], /, **values: Any) -> M:
    """Return `cls(**values)`, built directly when validation would return `values` unchanged.

    Raises:
        pydantic.ValidationError: As `cls(**values)` does.
    """
    exact = _as_validated(cls, values)
    if exact is None:
        return cls(**values)
    return cls.model_construct(set(exact), **exact)  # extras count as set, as in validation


def _as_validated(cls: type[BaseModel], values: dict[str, Any]) -> dict[str, Any] | None:
    """The values validation would produce, or None when only validation can tell."""
    decorators = cls.__pydantic_decorators__
    if (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
        or cls.model_config.get("validate_default")
        or cls.model_config.get("revalidate_instances", "never") != "never"
    ):
        return None
    fields = cls.model_fields
    if any(field.is_required() and name not in values for name, field in fields.items()):
        return None
    allow_extra = cls.model_config.get("extra") == "allow"
    out: dict[str, Any] = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is None:
            if not allow_extra:
                return None
            out[name] = value  # extra values are kept as they are
            continue
        if field.alias or field.validation_alias:
            return None
        validated = _value(field.annotation, value)
        if validated is _VALIDATE or not _within(field.metadata, validated):
            return None
        out[name] = validated
    return out


def _value(annotation: Any, value: Any) -> Any:
    """What validation makes of `value` for `annotation`, or `_VALIDATE`."""
    if annotation is Any:
        return value
    if annotation in _SCALARS:
        return value if type(value) is annotation else _VALIDATE
    if annotation is float:
        # Lax and strict mode alike take an int for a float field, as the float of it.
        if type(value) is int and abs(value) <= 2**53:
            return float(value)
        return value if type(value) is float else _VALIDATE
    if annotation is SecretStr:
        return SecretStr(value) if type(value) is str else _VALIDATE
    origin = get_origin(annotation)
    if origin in _UNIONS:
        return _union(get_args(annotation), value)
    if origin is list:
        return _list(get_args(annotation), value)
    if origin is dict:
        return _dict(get_args(annotation), value)
    if _kept_as_is(annotation):
        return value if type(value) is annotation else _VALIDATE
    return _VALIDATE


def _union(members: tuple[Any, ...], value: Any) -> Any:
    if value is None:
        return None if type(None) in members else _VALIDATE
    members = tuple(m for m in members if m is not type(None))
    if len(members) == 1:
        return _value(members[0], value)
    # Several members: only exact matches among str, int and bool, which no other member of
    # the union could also accept, whatever pydantic's union mode.
    if all(m in _SCALARS for m in members) and type(value) in members:
        return value
    return _VALIDATE


def _list(args: tuple[Any, ...], value: Any) -> Any:
    if type(value) is not list or len(args) != 1 or args[0] not in _SCALARS:
        return _VALIDATE
    if any(type(item) is not args[0] for item in value):
        return _VALIDATE
    return list(value)  # validation returns a new list


def _dict(args: tuple[Any, ...], value: Any) -> Any:
    if type(value) is not dict or len(args) != 2 or args[0] is not str:
        return _VALIDATE
    if any(type(key) is not str for key in value):
        return _VALIDATE
    if args[1] is not Any and (
        args[1] not in _SCALARS or any(type(item) is not args[1] for item in value.values())
    ):
        return _VALIDATE
    return dict(value)  # validation returns a new dict


def _kept_as_is(annotation: Any) -> bool:
    """Whether validation returns an instance of the class `annotation` unchanged.

    So it does for enums, dataclasses and pydantic models (instances are not re-validated),
    and for a class of another library that pydantic has no schema for (arbitrary types are
    checked with isinstance). Standard-library types, collections and types with a pydantic
    schema of their own are left to pydantic.
    """
    if not isinstance(annotation, type) or issubclass(annotation, Collection):
        return False
    if issubclass(annotation, enum.Enum | BaseModel) or dataclasses.is_dataclass(annotation):
        return True
    package = annotation.__module__.partition(".")[0]
    return (
        package not in sys.stdlib_module_names
        and package not in ("pydantic", "pydantic_core")
        and not hasattr(annotation, "__get_pydantic_core_schema__")
    )


def _within(metadata: list[Any], value: Any) -> bool:
    """Whether `value` meets the field's bounds (any other constraint: unknown, so no)."""
    for rule in metadata:
        if value is None:
            continue  # an optional field's bound applies to its value, not to None
        if type(value) not in (int, float):
            return False
        if type(rule) is Ge:
            if not value >= rule.ge:
                return False
        elif type(rule) is Gt:
            if not value > rule.gt:
                return False
        else:
            return False
    return True
