"""Validating the ``changes`` of a partial update against the unified model, field by field."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import FieldIssue, ValidationFailed
from ..models.common import RecordMeta

#: Fields the provider owns: a caller cannot set them in an update.
READ_ONLY_FIELDS = frozenset({"id", "row_version", "created_at", "updated_at", "raw"})


@functools.cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    info = model.model_fields[field]
    annotation: Any = info.annotation
    if info.metadata:  # constraints such as ge=0 live in the metadata, not in the annotation
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


def validate_changes(model: type[RecordMeta], changes: Mapping[str, Any] | RecordMeta) -> dict[str, Any]:
    """Return the changes with validated values, or raise ``ValidationFailed`` naming every bad field."""
    if isinstance(changes, BaseModel):
        if not isinstance(changes, model):
            raise ValidationFailed(
                f"expected a {model.__name__} or a mapping of its fields, got {type(changes).__name__}"
            )
        changes = {name: getattr(changes, name) for name in changes.model_fields_set}
    issues: list[FieldIssue] = []
    validated: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in model.model_fields:
            issues.append(FieldIssue(name, f"{model.__name__} has no such field"))
        elif name in READ_ONLY_FIELDS:
            issues.append(FieldIssue(name, "is set by the provider and cannot be changed"))
        else:
            try:
                validated[name] = _adapter(model, name).validate_python(value)
            except ValidationError as exc:
                for error in exc.errors():
                    path = ".".join(str(p) for p in (name, *error["loc"]))
                    issues.append(FieldIssue(path, error["msg"]))
    if issues:
        raise ValidationFailed(f"invalid changes to {model.__name__}", issues=issues)
    if not validated:
        raise ValidationFailed(f"no changes given for {model.__name__}")
    return validated
