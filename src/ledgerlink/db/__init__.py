"""Database access: URLs, the embedded server, engine and sessions."""
