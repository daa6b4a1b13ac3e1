"""The event types a subscription may name, and who may read them (events.md §1)."""

from store.events import TYPES as EVENT_TYPES

# The scope that lets a token read each family from the feed, and so subscribe to it.
FAMILY_SCOPES = {
    "order": "cs:orders:read",
    "product": "cs:products:read",
    "stock": "cs:products:read",
}
PATTERNS = (*EVENT_TYPES, *(f"{family}.*" for family in FAMILY_SCOPES))


def is_pattern(value):
    return value in PATTERNS


def matches(patterns, event_type):
    """Whether `event_type` is one of `patterns` or under one of their prefixes."""
    for pattern in patterns:
        if pattern == event_type or (
            pattern.endswith(".*") and event_type.startswith(pattern[:-1])
        ):
            return True
    return False


def scopes_needed(patterns):
    """The read scopes that cover `patterns`, in a stable order."""
    needed = {FAMILY_SCOPES[pattern.split(".", 1)[0]] for pattern in patterns}
    return [scope for scope in dict.fromkeys(FAMILY_SCOPES.values()) if scope in needed]
