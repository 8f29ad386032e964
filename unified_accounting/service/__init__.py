"""The service ``ua serve`` runs: the webhook receiver, the job runners and the worker's jobs."""
