"""Ledgerly: a tiny provider distributed outside the unified-accounting core, found by entry point."""
