"""Embedded mode: the Celery worker and beat as threads of the web process, and its channel layer."""
