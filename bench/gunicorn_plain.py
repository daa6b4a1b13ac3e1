"""gunicorn as both apps of the benchmark run: sync workers, two of them, no access log."""

workers = 2
worker_class = "sync"
accesslog = None
