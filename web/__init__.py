"""The Flask application: the REST API and the web console."""
