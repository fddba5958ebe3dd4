"""The ledger's errors, as the API codes a client can act on (see ledgerlink.errors)."""

from __future__ import annotations

from ledgerlink.errors import ConfigurationError, DataMappingError, ValidationFailed


class InvalidEntry(ValidationFailed):
    """A journal entry that is not double entry: unbalanced, no lines, a negative or two-sided line."""


class PostingError(DataMappingError):
    """A source document the rules cannot post as it stands (amounts that disagree beyond rounding,
    no date, no exchange rate): the document fails, nothing is posted for it."""


class LedgerConfigError(ConfigurationError):
    """An integration's mapping or nominal codes name an account the chart does not have, or two
    settings send one posting role to different accounts."""
