"""The application factory."""

from flask import Flask

import api
from config import Config


def create_app(config=None, instance_path=None):
    """Build the app from the environment, with `config` (a mapping) taking precedence."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(Config().as_dict())
    if config:
        app.config.from_mapping(config)
    api.init_app(app)
    return app
