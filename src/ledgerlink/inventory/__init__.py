"""Inventory pushed to channels (set/adjust per SKU and location), kept consistent with the hub's levels."""
