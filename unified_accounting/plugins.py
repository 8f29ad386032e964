"""Plugin discovery (pluggy, entry-point group ``unified_accounting``) and the provider registry.

Nothing happens at import time: :func:`get_plugin_manager` builds a fresh manager when called, and
the default registry behind :func:`get_provider` is created on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import pluggy

from . import hookspecs
from .catalog import RESOURCE_NAME, RESOURCES, UPDATED_SINCE
from .errors import ConfigurationError
from .field_support import declaration_problems as field_support_problems
from .models import RecordMeta
from .provider import PROVIDER_NAME, Codec, Operation, Provider

ENTRY_POINT_GROUP = hookspecs.PROJECT


def get_plugin_manager(
    *, load_entry_points: bool = True, plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """A new plugin manager with the ``ua_*`` hookspecs, entry-point plugins and ``plugins`` registered."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    if load_entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        manager.register(plugin)
    return manager


@dataclass(frozen=True)
class ProviderInfo:
    """A registered provider and where it came from (for ``ua providers``)."""

    provider: Provider
    plugin_name: str
    distribution: str | None
    version: str | None

    @property
    def name(self) -> str:
        return self.provider.name

    def capability_summary(self) -> dict[str, list[str]]:
        order = list(Operation)
        return {
            resource: sorted((op.value for op in ops), key=lambda v: order.index(Operation(v)))
            for resource, ops in sorted(self.provider.capabilities.items())
        }


class ProviderRegistry:
    """The providers registered through ``ua_register_providers``, validated and keyed by name."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.plugin_manager = manager
        self._infos: dict[str, ProviderInfo] = {}
        distributions = {id(plugin): dist for plugin, dist in manager.list_plugin_distinfo()}
        # Call each implementation on its own so a duplicate can name both plugins.
        for impl in manager.hook.ua_register_providers.get_hookimpls():
            dist: Any = distributions.get(id(impl.plugin))
            registered = cast(Iterable[object], impl.function() or ())
            for provider in registered:
                self._add(provider, impl.plugin_name, dist)

    def _add(self, provider: object, plugin_name: str, dist: Any) -> None:
        if not isinstance(provider, Provider):
            raise ConfigurationError(
                f"plugin {plugin_name!r} registered {provider!r}, which is not a unified_accounting.Provider"
            )
        name = getattr(provider, "name", None)
        if not isinstance(name, str) or not PROVIDER_NAME.match(name):
            raise ConfigurationError(
                f"plugin {plugin_name!r} registered a provider named {name!r}: names are 2-40 lower-case "
                "letters, digits or underscores, starting with a letter"
            )
        problems = declaration_problems(provider)
        if problems:
            raise ConfigurationError(
                f"plugin {plugin_name!r} registered provider {name!r} with declarations the library "
                "cannot honour: " + "; ".join(problems)
            )
        if name in self._infos:
            first = self._infos[name]
            first_from = first.distribution or "not from a distribution"
            second_from = dist.project_name if dist else "not from a distribution"
            raise ConfigurationError(
                f"provider {name!r} is registered twice: by plugin {first.plugin_name!r} ({first_from})"
                f" and by plugin {plugin_name!r} ({second_from}); uninstall one of them"
            )
        self._infos[name] = ProviderInfo(
            provider=provider,
            plugin_name=plugin_name,
            distribution=dist.project_name if dist else None,
            version=dist.version if dist else None,
        )

    def get(self, name: str) -> Provider:
        try:
            return self._infos[name].provider
        except KeyError:
            known = ", ".join(sorted(self._infos)) or "none"
            raise ConfigurationError(
                f"no provider named {name!r} is installed (installed: {known}); install its distribution, "
                f"for example 'pip install unified-accounting-{name}'"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._infos)

    def infos(self) -> list[ProviderInfo]:
        return [self._infos[name] for name in self.names()]


def declaration_problems(provider: Provider) -> list[str]:
    """What is wrong with a provider's ``capabilities``, ``models``, ``list_filters``,
    ``list_sorts``, ``field_support`` and ``codec`` measured against the resource catalog (empty
    when nothing is).

    A unified resource (one of the catalog) takes only the operations the catalog defines on it and
    keeps the catalog's model. Any other name is a resource of the provider's own (QuickBooks'
    ``item``): allowed with its model in ``Provider.models``.
    """
    problems: list[str] = []
    owner = type(provider).__name__
    for resource, supported in provider.capabilities.items():
        spec = RESOURCES.get(resource)
        if spec is not None:
            beyond = sorted(op.value for op in supported if op not in spec.operations)
            if beyond:
                defined = " ".join(op.value for op in Operation if op in spec.operations)
                problems.append(
                    f"capabilities offer {', '.join(beyond)} on {resource!r}, which the unified API "
                    f"does not define on it (it defines: {defined})"
                )
            continue
        if not isinstance(resource, str) or not RESOURCE_NAME.match(resource):
            problems.append(f"capabilities name {resource!r}: resource names are 2-40 lower-case letters")
            continue
        model = provider.models.get(resource)
        if model is None:
            problems.append(
                f"capabilities name {resource!r}, which is not a unified resource "
                f"(those are: {', '.join(RESOURCES)}); a resource of the provider's own needs its "
                f"model in {owner}.models"
            )
        elif not (isinstance(model, type) and issubclass(model, RecordMeta)):
            problems.append(f"{owner}.models[{resource!r}] is {model!r}, not a RecordMeta subclass")
    for resource, model in provider.models.items():
        spec = RESOURCES.get(resource)
        if spec is not None and model is not spec.model:
            problems.append(
                f"{owner}.models gives {resource!r} its own model, but it is a unified resource whose "
                f"model is {spec.model.__name__}: remove it from models"
            )
    for resource, names in provider.list_filters.items():
        spec = RESOURCES.get(resource)
        declared = spec.filters if spec is not None else (UPDATED_SINCE,)
        unknown = sorted(set(names) - {f.name for f in declared})
        if unknown:
            problems.append(
                f"list_filters name {', '.join(unknown)} for {resource!r}, whose lists take only "
                f"{', '.join(f.name for f in declared)} (filters are declared in the resource catalog)"
            )
    for resource, keys in provider.list_sorts.items():
        spec = RESOURCES.get(resource)
        sorts = spec.sorts if spec is not None else ()
        unknown = sorted(set(keys) - set(sorts))
        if unknown:
            problems.append(
                f"list_sorts name {', '.join(unknown)} for {resource!r}, whose lists sort only by "
                f"{', '.join(sorts) or 'nothing'} (sort keys are declared in the resource catalog, "
                "without the '-' of descending order)"
            )
    for resource, support in provider.field_support.items():
        model = provider.models.get(resource) or (
            RESOURCES[resource].model if resource in RESOURCES else None
        )
        if model is None:
            problems.append(
                f"field_support names {resource!r}, which is neither a unified resource nor in {owner}.models"
            )
            continue
        problems += field_support_problems(resource, model, support)
    if provider.capabilities and not isinstance(getattr(provider, "codec", None), Codec):
        problems.append(
            f"{owner}.codec must be a Codec (decode, decode_list, decode_page, encode): every read "
            "decodes through it; unified_accounting.codec.RecordCodec is a base for one"
        )
    return problems


@functools.cache
def default_registry() -> ProviderRegistry:
    """The registry of every installed plugin, built on first use and then reused."""
    return ProviderRegistry(get_plugin_manager())


def get_provider(name: str) -> Provider:
    """The installed provider called ``name`` (``ConfigurationError`` if there is none)."""
    return default_registry().get(name)


def list_providers() -> list[ProviderInfo]:
    """Every installed provider, sorted by name."""
    return default_registry().infos()
