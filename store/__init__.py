"""The store's operations, without Flask: the Python API that the HTTP layer, the CLI and
host apps call."""
