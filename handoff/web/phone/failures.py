"""Failed attempts per client, in this process: how wrong short codes are slowed down.

A key (a client address) may fail ``limit`` times within any ``window``
seconds; after that it waits until its oldest failure leaves the window. Kept
in one small class behind two methods, so a shared limiter (Redis, the
``limits`` library) can take its place without touching the handlers. With
several worker processes each counts on its own, so a client gets ``limit``
per process.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureLimiter:
    """At most ``limit`` failures per key in a sliding ``window``; the ``max_keys`` most
    recently failing keys are remembered, so a flood of addresses cannot exhaust memory."""

    def __init__(
        self, *, limit: int, window: float, max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str) -> float | None:
        """Seconds ``key`` must wait before its next attempt; ``None`` when it may try now."""
        failures = self._failures.get(key)
        if failures is None:
            return None
        now = self._clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        if len(failures) < self.limit:
            return None
        return failures[0] + self.window - now

    def failed(self, key: str) -> None:
        """Count one failure of ``key``."""
        failures = self._failures.pop(key, None)
        if failures is None:
            failures = deque(maxlen=self.limit)
        failures.append(self._clock())
        self._failures[key] = failures  # most recent last
        if len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
