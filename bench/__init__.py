"""Benchmarks: the hot paths of the service against a bare WSGI app."""
