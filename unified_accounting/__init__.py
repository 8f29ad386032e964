"""unified-accounting."""
