"""Use cases. They take ports (Protocols) for storage and Discord, and never commit."""
