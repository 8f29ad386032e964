"""Plugin registration (filled in by the provider issue)."""
