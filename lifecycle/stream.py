"""Building the dataflow graph: `env.from_batch(items).map(...).sink(...)`.

A `Stream` is a handle on the output of one or more nodes. Each operator adds
a `Node` to the environment's pending `Pipeline` and returns the stream of the
new node. `submit` takes the pipeline; streams of a submitted pipeline refuse
new operators.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from lifecycle.errors import ConfigError
from lifecycle.service import Function
from lifecycle.specs import _Spec, validated


class OperatorOptions(_Spec):
    """The options every operator takes."""

    parallelism: int = Field(default=1, ge=1)


@dataclass(eq=False)
class Node:
    """One operator of the graph; it runs as `parallelism` task instances."""

    op: str
    name: str
    target: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    parallelism: int = 1
    upstreams: tuple[Node, ...] = ()
    downstreams: list[Node] = field(default_factory=list)
    #: True if `target` is an operator class: each task instance builds one
    #: object from `args` and `kwargs` and calls its `execute` (or the object
    #: itself). False if `target` is applied to each item as it is.
    builds: bool = False

    @property
    def instance_names(self) -> list[str]:
        """The names of the node's task instances, as jobs and histories show."""
        if self.parallelism == 1:
            return [self.name]
        return [f"{self.name}[{index}]" for index in range(self.parallelism)]


class Pipeline:
    """The nodes added since the environment's last submit."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.submitted = False

    def add(self, node: Node) -> Node:
        taken = {n.name for n in self.nodes}
        base, number = node.name, 2
        while node.name in taken:
            node.name = f"{base}#{number}"
            number += 1
        for upstream in node.upstreams:
            upstream.downstreams.append(node)
        self.nodes.append(node)
        return node


class Stream:
    """The items flowing out of one or more nodes; add operators to it."""

    def __init__(self, pipeline: Pipeline, nodes: tuple[Node, ...]) -> None:
        self._pipeline = pipeline
        self._nodes = nodes

    def map(self, function: Any, /, *args: Any, parallelism: int = 1, **kwargs: Any):
        """Send each item through `function`; what it returns goes on.

        Args:
            function: a callable `item -> item`, or an operator class (a
                `Function` subclass, or any class with `execute` or
                `__call__`) built once per instance from `args` and `kwargs`.
                Any other class, such as `str`, is called on each item.
            parallelism: how many task instances share the input.
        """
        return self._add("map", function, args, kwargs, parallelism)

    def filter(
        self, function: Any, /, *args: Any, parallelism: int = 1, **kwargs: Any
    ) -> Stream:
        """Keep the items for which `function(item)` is true."""
        return self._add("filter", function, args, kwargs, parallelism)

    def flatmap(
        self, function: Any, /, *args: Any, parallelism: int = 1, **kwargs: Any
    ) -> Stream:
        """Send on every item of the iterable `function(item)` returns."""
        return self._add("flatmap", function, args, kwargs, parallelism)

    def sink(
        self, function: Any, /, *args: Any, parallelism: int = 1, **kwargs: Any
    ) -> Stream:
        """Hand each item to `function`; nothing flows out of a sink."""
        return self._add("sink", function, args, kwargs, parallelism)

    def union(self, *others: Stream) -> Stream:
        """A stream of the items of this stream and `others`, interleaved.

        The next operator has every node of the union as an upstream and stops
        only after each of them has ended. A node given twice (`a.union(a)`)
        counts once, so its items arrive once.
        """
        nodes = list(self._nodes)
        for other in others:
            if other._pipeline is not self._pipeline:
                raise ConfigError(
                    "union of streams from different environments or submits; "
                    "build the whole graph in one environment before submit."
                )
            nodes.extend(other._nodes)
        # Nodes hash by identity: this keeps each node once, first seen first.
        return Stream(self._pipeline, tuple(dict.fromkeys(nodes)))

    def _add(
        self,
        op: str,
        target: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        parallelism: int,
    ) -> Stream:
        label = f"{op}:{_label(target)}"
        if self._pipeline.submitted:
            raise ConfigError(
                f"{label}: this stream's job was already submitted; build a new "
                f"graph with env.from_batch(...) for the next job.",
                component=label,
            )
        sinks = [n.name for n in self._nodes if n.op == "sink"]
        if sinks:
            raise ConfigError(
                f"{label}: nothing flows out of sink {sinks[0]!r}; add operators "
                f"before the sink.",
                component=label,
            )
        options = validated(OperatorOptions, label, parallelism=parallelism)
        builds = _check_target(label, target, args, kwargs)
        node = Node(
            op,
            label,
            target,
            args,
            dict(kwargs),
            options.parallelism,
            self._nodes,
            builds=builds,
        )
        return Stream(self._pipeline, (self._pipeline.add(node),))


class _Idle:
    """The type of `IDLE`; there is one instance."""

    def __repr__(self) -> str:
        return "lifecycle.IDLE"


#: Yield this from a source's iterable to emit nothing this time. A source
#: sees a stop only between items, so an endless source that waits for input
#: (a queue, a socket) should wait with a timeout and yield `IDLE` when none
#: came; `job.stop()` then ends it gracefully instead of abandoning its thread.
IDLE: Any = _Idle()


def source(pipeline: Pipeline, items: Iterable[Any]) -> Stream:
    """A stream of `items`, read by one source task; see `from_batch`."""
    if isinstance(items, str | bytes) or not hasattr(items, "__iter__"):
        raise ConfigError(
            f"from_batch takes an iterable of items, not {type(items).__name__}; "
            f"pass a list, a generator or any other iterable.",
            component="source",
        )
    if pipeline.submitted:
        raise ConfigError("this pipeline was already submitted", component="source")
    return Stream(pipeline, (pipeline.add(Node("source", "source", items)),))


def _label(target: Any) -> str:
    name = getattr(target, "__name__", None) or type(target).__name__
    return name.replace("<", "").replace(">", "")


def _is_operator_class(target: Any) -> bool:
    """True if `target` is a class that is built once per task instance.

    That is a `Function` subclass, or a class that defines `execute`, or one
    that defines `__call__` (somewhere but `object`). Any other class, such
    as `str` or `int`, is a plain callable applied to each item.
    """
    if not inspect.isclass(target):
        return False
    if issubclass(target, Function) or hasattr(target, "execute"):
        return True
    return any("__call__" in vars(cls) for cls in target.__mro__ if cls is not object)


def _check_target(
    label: str, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bool:
    """Refuse a target that cannot work; return True if it is an operator class."""
    if _is_operator_class(target):
        if issubclass(target, Function) and target.execute is Function.execute:
            raise ConfigError(
                f"{label}: {target.__name__} subclasses lifecycle.Function but "
                f"does not define execute(item); define it to process each item.",
                component=label,
            )
        return True
    if not callable(target):
        raise ConfigError(
            f"{label}: expected a callable or a class, got {type(target).__name__}.",
            component=label,
        )
    if args or kwargs:
        raise ConfigError(
            f"{label}: extra arguments build an operator class (a Function "
            f"subclass, or a class with execute or __call__), but "
            f"{_label(target)} is applied to each item as it is; bind them "
            f"with functools.partial instead.",
            component=label,
        )
    if isinstance(target, Function):
        raise ConfigError(
            f"{label}: pass the Function class and its arguments, not an instance, "
            f"so that each parallel instance gets its own object.",
            component=label,
        )
    return False
