"""The client API: ``AsyncClient`` (source of truth) and its derived blocking twin ``Client``."""

from .async_client import AsyncClient, AsyncConnection
from .pager import AsyncPager
from .resources import AsyncResource
from .sync import Client, Connection, Resource

__all__ = [
    "AsyncClient",
    "AsyncConnection",
    "AsyncPager",
    "AsyncResource",
    "Client",
    "Connection",
    "Resource",
]
