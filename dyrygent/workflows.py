"""Workflow: build a DAG from signatures and canvases, plan it, export it, submit it."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from celery.canvas import Signature

from dyrygent import export
from dyrygent.canvas import Fragment, add_canvas, signature_spec
from dyrygent.dag import Dag, NodeSpec, ResultExpr, node_ref
from dyrygent.errors import InvalidIdError, NotConfiguredError, WorkflowDefinitionError

if TYPE_CHECKING:
    from dyrygent.handle import WorkflowHandle
    from dyrygent.processor import Engine
    from dyrygent.tasks import WorkflowProcessor

#: Longest workflow id, in UTF-8 bytes. The id goes into every task id, and AMQP carries a
#: task id as the message's correlation id, a short string of at most 255 bytes: this
#: leaves room for "dy-", the node index and the attempt.
MAX_WORKFLOW_ID_BYTES = 200


def check_workflow_id(value: str) -> str:
    """Return value when it can be a workflow id, else raise InvalidIdError saying why."""
    if not isinstance(value, str):
        raise InvalidIdError(f"a workflow id is a string, not {type(value).__name__}")
    if not value:
        raise InvalidIdError("invalid workflow id '': it is empty")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise InvalidIdError(f"invalid workflow id {value!r}: not valid UTF-8 text") from e
    if size > MAX_WORKFLOW_ID_BYTES:
        raise InvalidIdError(f"invalid workflow id {value[:40]!r}...: {size} bytes long, "
                             f"at most {MAX_WORKFLOW_ID_BYTES} (UTF-8)")
    for position, char in enumerate(value):
        # Whitespace and control characters would split or garble the id on a command
        # line and in logs; a '}' would end the Redis Cluster hash tag {id} early and could
        # spread one workflow's keys over slots ('{' goes with it: no tag syntax in ids).
        # Anything else is carried as is: task ids are parsed from the right and Redis keys
        # are never parsed at all.
        if char.isspace() or not char.isprintable() or char in "{}":
            raise InvalidIdError(f"invalid workflow id {value!r}: {char!r} at {position}; "
                                 "no whitespace, control characters or braces")
    return value


class Workflow:
    """A DAG of Celery signatures; build it, then apply_async() it once."""

    def __init__(self, workflow_id: str | None = None, *, max_running: int = 0,
                 deadline: float | None = None, node_timeout: float | None = None) -> None:
        self.id = uuid.uuid4().hex if workflow_id is None else check_workflow_id(workflow_id)
        self.max_running = max_running  # 0: no limit
        self.deadline = deadline  # seconds from submit for the whole workflow
        self.node_timeout = node_timeout  # default per-node timeout, seconds from start
        self.dag = Dag()
        self.result_expr: ResultExpr | None = None
        self._counter = 0
        self._short_names: dict[str, str] = {}  # task name -> the prefix of generated ids
        self._app: Any = None

    def _new_id(self, task: str) -> str:
        self._counter += 1
        short = self._short_names.get(task)
        if short is None:
            short = self._short_names[task] = task.rsplit(".", 1)[-1]
        return f"{short}-{self._counter}"

    def _remember_app(self, canvas: Any) -> None:
        # The app a signature was made from picks the processor at apply_async().
        if self._app is None:
            self._app = _find_app(canvas)

    def add_signature(self, signature: Signature, dependencies: Iterable[Any] = (),
                      node_id: str | None = None, timeout: float | None = None) -> str:
        """Add one task after dependencies (node ids); return its node id."""
        self._remember_app(signature)
        deps = tuple(str(d) for d in dependencies)
        node = node_id or self._new_id(str(signature.task))
        spec = signature_spec(signature, node, deps, None, timeout or self.node_timeout)
        self.dag.add(spec)
        self.result_expr = node_ref(node)
        return node

    def add_celery_canvas(self, canvas: Any, dependencies: Iterable[Any] = ()) -> Fragment:
        """Add a signature, chain, group or chord (any nesting) with Celery's result passing."""
        self._remember_app(canvas)
        before = len(self.dag)
        fragment = add_canvas(self.dag, canvas, self._new_id,
                              tuple(str(d) for d in dependencies))
        if self.node_timeout is not None:
            for node_id in list(self.dag.nodes)[before:]:
                spec = self.dag.nodes[node_id]
                if spec.timeout is None:
                    self.dag.replace(dataclasses.replace(spec, timeout=self.node_timeout))
        self.result_expr = fragment.result
        return fragment

    @property
    def nodes(self) -> list[NodeSpec]:
        """Nodes in insertion order."""
        return list(self.dag.nodes.values())

    def plan(self) -> list[list[str]]:
        """Waves in which the nodes would run; validates, runs nothing."""
        return self.dag.waves()

    def to_dot(self) -> str:
        """Graphviz DOT of the graph."""
        return export.to_dot(self.nodes, self.id)

    def to_mermaid(self) -> str:
        """Mermaid flowchart of the graph."""
        return export.to_mermaid(self.nodes)

    def to_json(self) -> str:
        """JSON nodes and edges of the graph."""
        return export.to_json(self.nodes)

    def apply_async(self, processor: WorkflowProcessor | None = None) -> WorkflowHandle:
        """Validate, store the definition once and start it; return its handle."""
        from dyrygent.tasks import processor_for

        if processor is None:
            if self._app is None:
                from celery import current_app

                self._app = current_app
            processor = processor_for(self._app)
        if processor is None:
            raise NotConfiguredError("no workflow processor: call register_workflow_processor(app)")
        return self.submit_to(processor.engine)

    def submit_to(self, engine: Engine) -> WorkflowHandle:
        """Validate, store the definition once and start it on an engine."""
        from dyrygent.handle import WorkflowHandle

        if not len(self.dag):
            raise WorkflowDefinitionError(f"workflow {self.id} has no nodes")
        nodes = self.dag.compile()
        meta = {"max_active": self.max_running,
                "result": json.dumps(self.result_expr) if self.result_expr else "",
                "deadline": engine.clock() + self.deadline if self.deadline else ""}
        engine.submit(self.id, nodes, meta)
        return WorkflowHandle(engine, self.id)


def _find_app(canvas: Any) -> Any:
    """The first Celery app bound to a signature inside a canvas, if any."""
    if not isinstance(canvas, Signature):
        return None
    if canvas._app is not None:
        return canvas._app
    members = canvas.get("kwargs", {})
    for key in ("tasks", "header", "body"):
        value = members.get(key)
        for item in value if isinstance(value, list | tuple) else [value]:
            found = _find_app(item)
            if found is not None:
                return found
    return None
