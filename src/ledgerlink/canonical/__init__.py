"""The canonical commerce model's domain logic (no HTTP): identity of upstream objects, and more."""
