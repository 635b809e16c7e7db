"""The ground server's edge: FastAPI REST + WebSocket API and the command console."""
