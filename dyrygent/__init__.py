"""dyrygent: a durable, event-driven DAG workflow processor on Celery."""
