"""Building unified models from values that are already what validation would leave.

A pydantic model keeps an instance's state in four slots of ``BaseModel``; their descriptors fill
them without pydantic's ``__setattr__`` (which would validate) and faster than
``object.__setattr__``. Code that builds many records a second from values it has checked itself
(a provider's page decoder, the webhook receiver) fills them directly, leaving the same state as
``model_construct`` with every field given. :func:`constructible` says whether a model class can be
built so; when a model changes shape it turns false, and callers take the validating path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)

SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
SET_DICT, SET_FIELDS_SET, SET_EXTRA, SET_PRIVATE = (BaseModel.__dict__[slot].__set__ for slot in SLOTS)


def constructible(cls: type[BaseModel], fields: tuple[str, ...]) -> bool:
    """Whether ``cls`` is built by filling the four slots, with exactly ``fields`` in that order."""
    return (
        tuple(cls.__pydantic_fields__) == fields
        and not cls.__private_attributes__
        and cls.__pydantic_post_init__ is None
        and cls.model_config.get("extra") != "allow"
        and not cls.__pydantic_root_model__
        and all(slot in BaseModel.__dict__ for slot in SLOTS)
    )


def constructor(
    cls: type[Model], fields: tuple[str, ...], fields_set: Callable[[], set[str]] | None = None
) -> Callable[[dict[str, Any]], Model]:
    """``cls.model_construct(**values)`` for ``values`` holding every field of ``fields`` in
    declaration order (check :func:`constructible` first), minus its generic work (alias lookups,
    defaults). ``fields_set()`` gives each instance its fields set: by default a set of its own, as
    pydantic does; a caller may share one (see the QuickBooks page decoder)."""
    new = object.__new__
    set_dict, set_fields_set, set_extra, set_private = SET_DICT, SET_FIELDS_SET, SET_EXTRA, SET_PRIVATE
    every_field = fields_set if fields_set is not None else functools.partial(set, fields)

    def construct(values: dict[str, Any]) -> Model:
        instance = new(cls)
        set_dict(instance, values)
        set_fields_set(instance, every_field())
        set_extra(instance, None)
        set_private(instance, None)
        return instance

    return construct
