"""The HTTP layer of the Community Store API, a Flask extension: `api.init_app(app)`."""

from api.extension import ApiState, check_schema_at_start, init_app

__all__ = ["ApiState", "check_schema_at_start", "init_app"]
