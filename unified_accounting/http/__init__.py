"""HTTP plumbing shared by every provider: status mapping, retries and backoff."""
