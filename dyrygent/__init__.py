"""dyrygent: a durable, event-driven DAG workflow processor on Celery.

Usage::

    from dyrygent.tasks import register_workflow_processor
    from dyrygent.workflows import Workflow

    processor = register_workflow_processor(app)   # state in Redis
    wf = Workflow()
    wf.add_celery_canvas(chain(a.s(), group(b.s(), c.s()), d.s()))
    handle = wf.apply_async()
    handle.wait(timeout=600)

Layout: ``dag`` (pure model, validation, waves), ``canvas`` (Celery canvas to DAG),
``store`` (the StateStore protocol) with ``memory_store`` and ``redis_store`` + ``lua``
behind it, ``processor`` (the engine: events, dispatch, tick), ``tasks`` (the Celery
adapter), ``workflows``, ``handle``, ``hooks``, ``export``, ``cli``.
"""
