"""The HTTP API: FastAPI app factory, routes grouped like Husqy's docs, envelope, error table."""
