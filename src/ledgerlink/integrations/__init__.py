"""Integration instances: setup, settings, credentials, lifecycle. Free of HTTP."""
