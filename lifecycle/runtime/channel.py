"""The bounded queue between the instances of two dataflow nodes.

A `Channel` feeds one node: every instance of every upstream node puts into it,
every instance of the node takes from it. It knows how many producers it has;
each calls `producer_done()` once, after its last item, and when the count
reaches zero the consumers get `END` once the queue is empty. That count is
what makes a parallel stage lose nothing at the end of input: no instance
stops while an upstream instance may still send.

`close()` is the forced path: queued items are dropped (and counted), and every
blocked or later `put` and `get` raises `ChannelClosed`. When the last consumer
leaves (`consumer_done()`), the channel closes too, so an upstream blocked on a
full queue is never left waiting for a node that is gone.

`queue.Queue` has no way to wake its waiters on close before Python 3.13,
hence this class.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Final

#: What `get` returns once every producer is done and the queue is empty.
END: Final = object()


class ChannelClosed(Exception):
    """The channel was closed: its node was forced to stop or has no consumer."""


class Channel:
    """A bounded FIFO with counted producers and consumers.

    Args:
        capacity: how many items may wait before `put` blocks.
        producers: how many upstream task instances will put into it.
        consumers: how many task instances take from it.
    """

    def __init__(self, capacity: int, producers: int, consumers: int) -> None:
        self._items: deque[Any] = deque()
        self._capacity = capacity
        #: Producers that have not yet called `producer_done`.
        self._producers = producers
        #: Consumers that have not yet called `consumer_done`.
        self._consumers = consumers
        self._closed = False
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)

    def put(self, item: Any) -> None:
        """Append `item`, blocking while the channel is full.

        Raises:
            ChannelClosed: the channel was closed before the item fitted.
        """
        with self._not_full:
            while len(self._items) >= self._capacity and not self._closed:
                self._not_full.wait()
            if self._closed:
                raise ChannelClosed
            self._items.append(item)
            self._not_empty.notify()

    def get(self) -> Any:
        """Take the oldest item; `END` once the producers are done and it is empty.

        Raises:
            ChannelClosed: the channel was closed.
        """
        with self._not_empty:
            while not self._items and self._producers and not self._closed:
                self._not_empty.wait()
            if self._closed:
                raise ChannelClosed
            if not self._items:
                return END
            item = self._items.popleft()
            self._not_full.notify()
            return item

    def producer_done(self) -> None:
        """Say that one producer will put nothing more."""
        with self._lock:
            self._producers -= 1
            if self._producers <= 0:
                self._not_empty.notify_all()

    def consumer_done(self) -> int:
        """Say that one consumer will take nothing more.

        Returns:
            How many queued items were dropped because it was the last one.
        """
        with self._lock:
            self._consumers -= 1
            return self._close() if self._consumers <= 0 else 0

    def close(self) -> int:
        """Drop the queued items and wake every waiter; return how many dropped."""
        with self._lock:
            return self._close()

    def _close(self) -> int:
        if self._closed:
            return 0
        self._closed = True
        dropped = len(self._items)
        self._items.clear()
        self._not_empty.notify_all()
        self._not_full.notify_all()
        return dropped
