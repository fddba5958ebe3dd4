"""The `ledgerlink` command line (Typer + Rich)."""
