"""Repository-wide pytest settings shared by the core and provider test suites."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    # The library is asyncio-based (httpx, SQLAlchemy async); trio is not a target.
    return "asyncio"
