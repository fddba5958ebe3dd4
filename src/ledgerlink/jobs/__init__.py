"""Background work on Procrastinate. A job only points at a database row; the row is the truth."""
