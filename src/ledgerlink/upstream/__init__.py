"""Calling upstream platforms: one rate-limited, retrying HTTP client per integration."""
