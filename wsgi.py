"""The WSGI entry point: `gunicorn wsgi:app`."""

import api
from app import create_app

app = create_app()
api.check_schema_at_start(app)
