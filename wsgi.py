"""The app for gunicorn and `flask --app wsgi`, and its Celery app for the workers:
`celery -A wsgi.celery worker` and `celery -A wsgi.celery beat`."""

from triage.app import create_app

app = create_app()
celery = app.extensions["celery"]
