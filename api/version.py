"""The service version, shown by GET /config."""

__version__ = "1.0.0"
