"""The application factory."""

from flask import Flask

import api


def create_app(config=None, instance_path=None):
    """Build the app: settings from the environment, with `config` (a mapping of CS_ keys)
    taking precedence. The hottest plain reads are answered in front of Flask
    (api.fast_lane): this app has no app-wide hooks of its own that they would skip."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    if config:
        app.config.from_mapping(config)
    api.init_app(app, fast_lane=True)
    return app
