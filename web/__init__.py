"""The Flask application: the REST API and the web console."""

from basketgraph.web.app import create_app

__all__ = ["create_app"]
