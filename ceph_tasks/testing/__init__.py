"""In-memory fakes beside the real adapters, for component tests of the tasks."""
