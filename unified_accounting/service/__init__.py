"""The service ``ua serve`` runs: the webhook receiver and the connect page in one ASGI app, and
the job runners (embedded on asyncio, distributed on PostgreSQL with procrastinate)."""

from .app import create_service_app, runner_for, running
from .distributed import DistributedRunner
from .embedded import EmbeddedRunner
from .worker import run_job

__all__ = ["DistributedRunner", "EmbeddedRunner", "create_service_app", "run_job", "runner_for", "running"]
