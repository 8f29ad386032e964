"""Storage: the one place that knows databases — engines, dialects, transactions and migrations."""
