"""Local tasks: one thread per task instance, joined by channels.

A `TaskRunner` owns one instance of one node. Its thread builds the node's
function, runs `setup()`, then works: a source reads its iterable, any other
node takes items from its input channel until `END`. Whatever ends the work
(end of input, a stop, a failure, a force), the runner then signals its end
downstream exactly once (`producer_done`) and leaves its input channel
(`consumer_done`) before it reports, so no neighbour ever waits for it. It
runs `cleanup()` on the same thread when the kernel asks. A task with no
`cleanup()` to run (a plain function, a source) does not keep its thread
waiting for that: the thread ends after its last report, and the runner
answers the kernel's `Cleanup` at once.

Reports: `InputEnded` when the input ends or a source is told to stop,
`Drained` once the end is signalled downstream, `TaskFailed` when the work
raised. A forced task reports only `Drained`, with the items it dropped: the
kernel already moved it to STOPPING.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from lifecycle import events as ev
from lifecycle.runtime.channel import END, Channel, ChannelClosed
from lifecycle.runtime.services import Report, ServiceDirectory, clean_up
from lifecycle.service import Function, bind_thread, call_hook
from lifecycle.stream import IDLE, Node

_CLEANUP = object()
_ABANDONED = object()


class TaskRunner:
    """Runs one task instance on a thread of its own; driven by kernel commands."""

    def __init__(
        self,
        name: str,
        node: Node,
        inputs: Channel | None,
        outputs: list[Channel],
        job: str,
        report: Report,
        directory: ServiceDirectory,
    ) -> None:
        self.name = name
        self.node = node
        self.thread = threading.Thread(
            target=self._run, name=f"lifecycle:{job}:task:{name}", daemon=True
        )
        self.instance: Any = None
        self.abandoned = False
        self._inputs = inputs
        self._outputs = outputs
        self._report = report
        self._directory = directory
        self._commands: queue.SimpleQueue[object] = queue.SimpleQueue()
        #: Set by the driver to make a source stop reading; read per item.
        self._stop_asked = False
        self._forced = False
        self._set_up_returned = False
        self._released = False
        self._release_lock = threading.Lock()
        self._dropped = 0
        self._iterator: Iterator[Any] = iter(())
        self._process: Callable[[Any], None] = _nothing

    # -- Commands, run by the job's driver thread --------------------------------

    def start(self) -> None:
        self.thread.start()

    def stop_source(self) -> None:
        """Ask a source to emit nothing more; it ends its output gracefully."""
        self._stop_asked = True

    def force(self) -> None:
        """Stop now: drop what is queued for this node and end the work."""
        self._forced = True
        self._stop_asked = True
        if self._inputs is not None:
            self._dropped += self._inputs.close()

    def cleanup(self) -> None:
        if self.has_cleanup:
            self._commands.put(_CLEANUP)
        else:
            self._report(ev.Cleaned(self.name))

    @property
    def has_cleanup(self) -> bool:
        """True if the task's object has a `cleanup()` of its own to run.

        `Function`'s empty one does not count. Known once setup returned,
        which is before any `Cleanup` command.
        """
        method = getattr(self.instance, "cleanup", None)
        return callable(method) and getattr(method, "__func__", None) is not (
            Function.cleanup
        )

    def abandon(self) -> None:
        """Give up on the thread: end its channels for it.

        If the thread comes back, it does no more work (even if it got past
        its setup just as its deadline ran out) and only releases what its
        setup acquired. The shared input channel stays open for the node's
        other instances.
        """
        self.abandoned = True
        self._forced = self._stop_asked = True
        self.thread.name += " (abandoned)"
        self._release_channels()
        self._commands.put(_ABANDONED)

    # -- The task's own thread ---------------------------------------------------

    def _run(self) -> None:
        bind_thread(self._directory)
        if not self._set_up():
            self._release_channels()
            self._clean_when_asked()
            return
        self._report(ev.Started(self.name))
        try:
            self._work()
        except BaseException as error:
            self._release_channels()
            self._report(ev.TaskFailed(self.name, error))
        else:
            self._release_channels()
            self._report(ev.Drained(self.name, self._dropped))
        self._clean_when_asked()

    def _set_up(self) -> bool:
        try:
            self._build()
            call_hook(self.instance, "setup")
        except BaseException as error:
            self._report(ev.StartFailed(self.name, error))
            return False
        self._set_up_returned = True
        return not self.abandoned

    def _build(self) -> None:
        node = self.node
        if node.op == "source":
            self._iterator = iter(node.target)
            return
        function = node.target
        if node.builds:
            self.instance = function(*node.args, **node.kwargs)
            function = getattr(self.instance, "execute", self.instance)
        self._process = _PROCESSORS[node.op](function, self._emit)

    def _work(self) -> None:
        try:
            if self._inputs is None:
                detail = self._read_source(self._iterator)
            else:
                detail = self._consume(self._inputs)
        except ChannelClosed:
            if self._forced:
                return
            detail = "downstream stopped taking items"
        if not self._forced:
            self._report(ev.InputEnded(self.name, detail))

    def _read_source(self, items: Iterator[Any]) -> str:
        emit = self._emit
        while not self._stop_asked:
            try:
                item = next(items)
            except StopIteration:
                return "input exhausted"
            if item is not IDLE:
                emit(item)
        return "stop asked"

    def _consume(self, inputs: Channel) -> str:
        get, process = inputs.get, self._process
        while (item := get()) is not END:
            if self._forced:  # abandoned: the node's channel may still be open
                self._dropped += 1
                break
            process(item)
        return "end of input from every upstream"

    def _emit(self, item: Any) -> None:
        for channel in self._outputs:
            channel.put(item)

    def _release_channels(self) -> None:
        """Signal the end downstream and leave the input, exactly once."""
        with self._release_lock:
            if self._released:
                return
            self._released = True
        for channel in self._outputs:
            channel.producer_done()
        if self._inputs is not None:
            self._dropped += self._inputs.consumer_done()

    def _clean_when_asked(self) -> None:
        """Run `cleanup()` once asked, or at once if abandoned after setup."""
        if not self._set_up_returned or not self.has_cleanup:
            return
        while not self.abandoned:
            if self._commands.get() in (_CLEANUP, _ABANDONED):
                break
        clean_up(self.instance, self.name, self._report)


def _nothing(item: Any) -> None:
    return None


def _mapper(function: Callable[[Any], Any], emit: Callable[[Any], None]):
    def process(item: Any) -> None:
        emit(function(item))

    return process


def _filterer(function: Callable[[Any], Any], emit: Callable[[Any], None]):
    def process(item: Any) -> None:
        if function(item):
            emit(item)

    return process


def _flatmapper(function: Callable[[Any], Any], emit: Callable[[Any], None]):
    def process(item: Any) -> None:
        for out in function(item):
            emit(out)

    return process


def _sinker(function: Callable[[Any], Any], emit: Callable[[Any], None]):
    return function


_PROCESSORS = {
    "map": _mapper,
    "filter": _filterer,
    "flatmap": _flatmapper,
    "sink": _sinker,
}
