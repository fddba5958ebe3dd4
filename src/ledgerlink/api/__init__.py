"""The HTTP API: FastAPI app, conventions and routers."""
