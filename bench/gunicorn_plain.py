"""gunicorn as both apps of the benchmark run: the worker settings the service ships with
(gunicorn.conf.py), two workers, no access log."""

import runpy
from pathlib import Path

SHIPPED = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))

workers = 2
worker_class = SHIPPED["worker_class"]
threads = SHIPPED["threads"]
keepalive = SHIPPED["keepalive"]
timeout = SHIPPED["timeout"]
limit_request_line = SHIPPED["limit_request_line"]
limit_request_field_size = SHIPPED["limit_request_field_size"]
accesslog = None
