"""The C allocator under the process: giving its free pages back, and jemalloc's controls.

Under jemalloc (preloaded by ``ALLOCATOR=auto``, see :mod:`handoff.cli.allocator`) the
process exports jemalloc's ``mallctl``; otherwise glibc's ``malloc_trim`` does the job
(and under another C library, such as musl, there is nothing to call).
"""

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any

#: jemalloc's ``MALLCTL_ARENAS_ALL``: ``arena.<i>.purge`` with it purges every arena.
ARENAS_ALL = 4096


def _mallctl() -> Any:
    """jemalloc's ``mallctl`` when jemalloc is loaded, else None."""
    try:
        mallctl = ctypes.CDLL(None).mallctl
    except (OSError, AttributeError):
        return None
    # int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t),
                        ctypes.c_void_p, ctypes.c_size_t]
    mallctl.restype = ctypes.c_int
    return mallctl


def on_jemalloc() -> bool:
    """Whether this process allocates through jemalloc."""
    return _mallctl() is not None


def _releaser() -> Callable[[], object] | None:
    if (mallctl := _mallctl()) is not None:
        command = f"arena.{ARENAS_ALL}.purge".encode()
        return lambda: mallctl(command, None, None, None, 0)
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return lambda: trim(0)


_RELEASE = _releaser()


def release_free_memory() -> None:
    """Give the C allocator's free pages back to the system now.

    After a wave of sessions is forgotten, glibc keeps the freed heap (the large dict
    tables, above all) for reuse, so RSS stays at its peak; trimming returns it
    (measured in bench/: +84 MiB left over the start before, see RESULTS.md). jemalloc
    would return its pages by itself after its decay time (seconds); purging does it
    at once.
    """
    if _RELEASE is not None:
        _RELEASE()


def resume_background_thread() -> None:
    """In a forked worker: start jemalloc's background thread again if its settings ask
    for one (jemalloc turns it off in a forked child); on another allocator, nothing."""
    if (mallctl := _mallctl()) is None:
        return
    wanted, size = ctypes.c_bool(False), ctypes.c_size_t(ctypes.sizeof(ctypes.c_bool))
    if mallctl(b"opt.background_thread", ctypes.byref(wanted), ctypes.byref(size), None, 0) != 0:
        return
    if wanted.value:
        on = ctypes.c_bool(True)
        mallctl(b"background_thread", None, None, ctypes.byref(on), ctypes.sizeof(on))
