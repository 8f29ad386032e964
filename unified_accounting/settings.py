"""Provider settings from code and from ``UA_*`` environment variables.

Precedence: what the code passes to ``Client(providers=...)`` wins; a field it leaves out is read
from ``UA_<PROVIDER>_<FIELD>`` (``UA_QUICKBOOKS_CLIENT_ID``); list fields take space-separated values.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .errors import ConfigurationError
from .provider import Provider, ProviderSettings


def _is_sequence_field(annotation: Any) -> bool:
    origins = {typing.get_origin(annotation)} | {typing.get_origin(a) for a in typing.get_args(annotation)}
    return bool(origins & {tuple, list, frozenset, set})


def settings_from_environment(provider: Provider, environ: Mapping[str, str]) -> dict[str, Any]:
    prefix = f"UA_{provider.name.upper()}_"
    values: dict[str, Any] = {}
    for field_name, info in provider.settings_model.model_fields.items():
        raw = environ.get(prefix + field_name.upper())
        if raw is None or raw == "":
            continue
        values[field_name] = raw.split() if _is_sequence_field(info.annotation) else raw
    return values


def resolve_settings(
    provider: Provider, given: Mapping[str, Any] | ProviderSettings | None, environ: Mapping[str, str]
) -> ProviderSettings:
    """Validate the provider's settings; an error names the provider, the field and the fix."""
    if isinstance(given, ProviderSettings):
        return given
    values = settings_from_environment(provider, environ)
    values.update({k: v for k, v in (given or {}).items()})
    try:
        return provider.settings_model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        known = ", ".join(provider.settings_model.model_fields)
        raise ConfigurationError(
            f"invalid settings for provider {provider.name!r}: {problems} (accepted fields: {known})"
        ) from None
