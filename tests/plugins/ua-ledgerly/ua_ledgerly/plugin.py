"""Entry point of the Ledgerly plugin: registers the provider through the ``unified_accounting`` hooks.

Ledgerly is the test suite's stand-in for a third party's provider. It is installed only with the
development tools (``uv run --group dev ...``) and registers its provider only where the test suite
turns it on (``UA_TEST_PLUGINS=1``, set by the repository's ``conftest.py`` and inherited by the
processes the tests start), so that ``ua providers`` and the connect page of a development install
never offer it to anyone.
"""

from __future__ import annotations

import os

from unified_accounting import Provider, hookimpl

from .provider import LedgerlyProvider

#: The environment variable that turns the test plugins on.
ENABLED_BY = "UA_TEST_PLUGINS"


def enabled() -> bool:
    return os.environ.get(ENABLED_BY) == "1"


@hookimpl
def ua_register_providers() -> list[Provider]:
    return [LedgerlyProvider()] if enabled() else []
