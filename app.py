"""The application factory."""

from flask import Flask

import api


def create_app(config=None, instance_path=None):
    """Build the app: settings from the environment, with `config` (a mapping of CS_ keys)
    taking precedence."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    if config:
        app.config.from_mapping(config)
    api.init_app(app)
    return app
