"""The books in the database: the workspace chart of accounts, the posted journal, the job that posts
synced documents from domain events, and the reports the API answers with. The rules themselves are
the pure `ledgerlink.ledger` package; this package only loads, stores and schedules."""
