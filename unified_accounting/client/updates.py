"""Validating what a caller writes: the fields of a partial update, field by field, and record ids."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import FieldIssue, ValidationFailed
from ..models.common import RecordMeta
from ..models.context import lone_surrogate

#: Fields the provider owns: a caller cannot set them in an update.
READ_ONLY_FIELDS = frozenset({"id", "row_version", "created_at", "updated_at", "raw"})


@functools.cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    info = model.model_fields[field]
    annotation: Any = info.annotation
    if info.metadata:  # constraints such as ge=0 live in the metadata, not in the annotation
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


def validate_update(model: type[RecordMeta], fields: Mapping[str, Any] | RecordMeta) -> dict[str, Any]:
    """Return the fields with validated values, or raise ``ValidationFailed`` naming every bad one."""
    if isinstance(fields, BaseModel):
        if not isinstance(fields, model):
            raise ValidationFailed(
                f"expected a {model.__name__} or a mapping of its fields, got {type(fields).__name__}"
            )
        fields = {name: getattr(fields, name) for name in fields.model_fields_set}
    issues: list[FieldIssue] = []
    validated: dict[str, Any] = {}
    for name, value in fields.items():
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
            else:
                problem = lone_surrogate(_plain(validated[name]))
                if problem:
                    issues.append(FieldIssue(name, problem))
    issued, due = validated.get("issue_date"), validated.get("due_date")
    if issued is not None and due is not None and due < issued:
        issues.append(FieldIssue("due_date", "due_date must not be before issue_date"))
    # Rules between fields that a partial update can break on its own (a journal's lines balance).
    check = getattr(model, "update_issues", None)
    if callable(check) and not issues:
        issues += check(validated)
    if issues:
        raise ValidationFailed(f"invalid update of {model.__name__}", issues=issues)
    if not validated:
        raise ValidationFailed(f"no fields given to update {model.__name__}")
    return validated


def _plain(value: Any) -> Any:
    """A validated value with its models as mappings, for checks that walk plain data."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude={"raw"})
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def field_issues(error: ValidationError) -> list[FieldIssue]:
    """Pydantic's errors as field issues (``line_items.0.quantity: ...``)."""
    return [FieldIssue(".".join(str(p) for p in item["loc"]) or None, item["msg"]) for item in error.errors()]


def check_record_id(record_id: Any) -> None:
    """Refuse an id that cannot name a provider record: not text, empty, or not valid Unicode."""
    if not isinstance(record_id, str) or not record_id:
        raise ValidationFailed(
            "invalid record id", issues=[FieldIssue("record_id", "must be a non-empty string")]
        )
    problem = lone_surrogate(record_id)
    if problem:
        raise ValidationFailed("invalid record id", issues=[FieldIssue("record_id", problem)])
