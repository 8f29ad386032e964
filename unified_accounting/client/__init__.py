"""The client API: ``AsyncClient`` (source of truth) and its generated blocking twin ``Client``."""

from .async_client import AsyncClient, AsyncConnection
from .blocking import Client, Connection, Pager, Resource
from .pager import AsyncPager
from .resources import AsyncResource

__all__ = [
    "AsyncClient",
    "AsyncConnection",
    "AsyncPager",
    "AsyncResource",
    "Client",
    "Connection",
    "Pager",
    "Resource",
]
