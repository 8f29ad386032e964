"""Provider settings: the model every provider accepts, read from code and from ``UA_*`` variables.

Precedence: what the code passes to ``Client(providers=...)`` wins; a field it leaves out is read
from ``UA_<PROVIDER>_<FIELD>`` (``UA_QUICKBOOKS_CLIENT_ID``); list fields take space-separated values.

Whatever the caller passes — a mapping, or a settings object of any class — ends up an instance of
the provider's own ``settings_model``: a provider never sees a plain :class:`ProviderSettings`, so
its own fields always hold their defaults at least, and state keyed by settings values (rate-limit
windows, meters) is the same for equal settings however they were given.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from .errors import ConfigurationError


class ProviderSettings(BaseModel):
    """Settings every provider accepts. A provider may subclass it (``Provider.settings_model``).

    Values come from ``Client(providers={"name": {...}})`` and, for what is not given there, from
    environment variables ``UA_<NAME>_<FIELD>`` (``UA_QUICKBOOKS_CLIENT_ID``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str | None = None
    client_secret: SecretStr | None = None
    environment: Literal["sandbox", "production"] = "production"
    #: One URL that replaces every provider host (API, OAuth, identity): how emulators are plugged in.
    base_url: str | None = None
    scopes: tuple[str, ...] | None = None
    webhook_secret: SecretStr | None = None


SettingsT = TypeVar("SettingsT", bound=ProviderSettings)


class Configurable(Protocol):
    """What settings resolution needs of a provider: its name and its settings model."""

    @property
    def name(self) -> str: ...

    @property
    def settings_model(self) -> type[ProviderSettings]: ...


def _is_sequence_field(annotation: Any) -> bool:
    origins = {typing.get_origin(annotation)} | {typing.get_origin(a) for a in typing.get_args(annotation)}
    return bool(origins & {tuple, list, frozenset, set})


def settings_from_environment(provider: Configurable, environ: Mapping[str, str]) -> dict[str, Any]:
    prefix = f"UA_{provider.name.upper()}_"
    values: dict[str, Any] = {}
    for field_name, info in provider.settings_model.model_fields.items():
        raw = environ.get(prefix + field_name.upper())
        if raw is None or raw == "":
            continue
        values[field_name] = raw.split() if _is_sequence_field(info.annotation) else raw
    return values


def settings_as(model: type[SettingsT], settings: ProviderSettings) -> SettingsT:
    """``settings`` as an instance of ``model``: itself when it is one, else its explicitly set
    fields validated into ``model`` (whose defaults fill the rest). Raises pydantic's
    ``ValidationError`` when a field is not one of ``model``'s."""
    if isinstance(settings, model):
        return settings
    return model.model_validate(settings.model_dump(exclude_unset=True))


def _refusal(provider: Configurable, exc: ValidationError) -> ConfigurationError:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    known = ", ".join(provider.settings_model.model_fields)
    return ConfigurationError(
        f"invalid settings for provider {provider.name!r}: {problems} (accepted fields: {known})"
    )


def resolve_settings(
    provider: Configurable, given: Mapping[str, Any] | ProviderSettings | None, environ: Mapping[str, str]
) -> ProviderSettings:
    """Validate the provider's settings into its ``settings_model``; an error names the provider,
    the field and the fix. A settings object given whole is taken as complete (the environment is
    not consulted), but is still validated into the provider's model."""
    try:
        if isinstance(given, ProviderSettings):
            return settings_as(provider.settings_model, given)
        values = settings_from_environment(provider, environ)
        values.update({k: v for k, v in (given or {}).items()})
        return provider.settings_model.model_validate(values)
    except ValidationError as exc:
        raise _refusal(provider, exc) from None


__all__ = ["Configurable", "ProviderSettings", "resolve_settings", "settings_as", "settings_from_environment"]
