"""Benchmark of dyrygent against Celery canvas and celery-dyrygent 0.8.0."""
