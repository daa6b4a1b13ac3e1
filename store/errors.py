"""The store's domain errors: what went wrong, in words a client can be shown.

The HTTP layer turns each into its status in one place (not found 404, invalid 400,
conflict 409, failed precondition 412); a host app calling the store from Python catches
them like any exception.
"""


class StoreError(Exception):
    """Base of every error the store's operations raise on purpose."""

    def __init__(self, message, fields=None):
        super().__init__(message)
        self.message = message
        # {"data.stock_level": ["Must be a JSON number."]}: messages by dotted field path.
        self.fields = fields


class NotFound(StoreError):
    """No such record."""


class Invalid(StoreError):
    """Input that breaks a rule; `fields` names each problem by its dotted path."""

    @classmethod
    def field(cls, path, message):
        """One problem with one field: `Invalid data.x: Message.` and {path: [message]}."""
        return cls(f"Invalid {path}: {message}", {path: [message]})


class Unprocessable(StoreError):
    """Well-formed, but not what it claims to be (an idempotency key reused for another
    request)."""


class Conflict(StoreError):
    """The request is valid but the store's state refuses it (a duplicate, a shortage)."""

    def __init__(self, message, fields=None, details=None):
        super().__init__(message, fields)
        # Extra top-level keys of the error document, e.g. {"shortages": [...]}.
        self.details = details or {}


class PreconditionFailed(StoreError):
    """A conditional write whose If-Match no longer names the record's state."""


class Gone(StoreError):
    """What was asked for is no longer kept (events pruned past a reader's cursor)."""
