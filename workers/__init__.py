"""The pipeline's jobs: the Celery application, its broker, tasks and schedule."""
