"""The mirror: each connection's records, stored locally by ordered upserts and read back by the client."""
