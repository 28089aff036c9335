"""The memory allocator the server runs on: jemalloc where it is installed (``ALLOCATOR``).

Python's own allocator for small objects keeps each 1 MiB arena for as long as one
object in it lives. After a wave of 100,000 sessions was forgotten, a few objects
made during the wave (the last request of each keep-alive connection, say) still
held 20 to 35 of the arenas, so the process stayed 17 to 35 MiB over its start. With
every allocation on jemalloc (``PYTHONMALLOC=malloc``), whose free pages the store
purges once a wave is forgotten (:mod:`handoff.heap`), the same wave leaves 6 to
8 MiB, at no CPU cost per request that an A/B could see (bench/RESULTS.md, issue 14,
ninth round).

The allocator is chosen before the interpreter starts, so the server starts itself
once more (``execve``: same process id, same arguments) with jemalloc preloaded. The
variables that does it are taken out of the new process's environment again, so
what it runs in turn (Tesseract, git) starts as it would have. jemalloc stops its
background thread in a forked child; ``heap.resume_background_thread`` starts it again
in each worker (``WORKERS`` > 1).
"""

import ctypes.util
import os
import sys
from ..heap import on_jemalloc
from ..settings import Allocator

#: jemalloc's settings unless MALLOC_CONF gives others. A thread of its own returns
#: freed pages after their decay time (10 s, jemalloc's default), rather than only when
#: the process next allocates; the store purges at once after a wave (heap.py). Large
#: buffers (a photo's) stay in the common arenas rather than one that purges each at
#: once: a scan page took 30 % longer that way, re-faulting its buffers.
MALLOC_CONF = "background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0,oversize_threshold:0"
#: Set for the restarted process: the names of the variables the restart added.
MARK = "HANDOFF_RESTARTED_ON_JEMALLOC"


def restart_on_jemalloc(choice: Allocator) -> str:
    """Start this process again on jemalloc if ``choice`` wants it, or say what it runs on.

    Returns what the process runs on (``jemalloc``, ``pymalloc`` for Python's own) when
    there is nothing to do; does not return when it restarts. ``auto`` falls back to
    Python's own allocator where jemalloc is not installed, or off Linux (``LD_PRELOAD``
    is how the restart loads it); ``jemalloc`` stops start-up there. An allocator the
    environment already chose (``PYTHONMALLOC``, ``LD_PRELOAD``) is left alone, and so is
    an interpreter started with ``-E`` or ``-I`` (it would ignore ``PYTHONMALLOC``).
    """
    if (added := os.environ.pop(MARK, None)) is not None:
        for name in added.split(","):
            os.environ.pop(name, None)
        if on_jemalloc():
            return "jemalloc"
        # The loader could not preload it (it says why on stderr): glibc's malloc runs.
        if choice == "jemalloc":
            sys.exit("handoff: ALLOCATOR=jemalloc, but jemalloc could not be preloaded")
        return "malloc (jemalloc could not be preloaded)"
    if choice == "pymalloc":
        return "pymalloc"
    if sys.flags.ignore_environment:  # -E or -I: a restart could not set PYTHONMALLOC
        if choice == "jemalloc":
            sys.exit("handoff: ALLOCATOR=jemalloc needs PYTHONMALLOC, which -E and -I ignore")
        return "pymalloc"
    chosen = {name: value for name in ("PYTHONMALLOC", "LD_PRELOAD") if (value := os.environ.get(name))}
    if chosen:
        if on_jemalloc() and chosen.get("PYTHONMALLOC") == "malloc":
            return "jemalloc"
        if choice == "jemalloc":
            sys.exit(f"handoff: ALLOCATOR=jemalloc, but the environment sets {' and '.join(chosen)} "
                     "itself; unset it, or set ALLOCATOR=auto to keep what it sets")
        return "as " + ", ".join(f"{name}={value}" for name, value in chosen.items()) + " sets it"
    if sys.platform != "linux":
        if choice == "jemalloc":
            sys.exit("handoff: ALLOCATOR=jemalloc works on Linux only")
        return "pymalloc"
    library = ctypes.util.find_library("jemalloc")
    if library is None:
        if choice == "jemalloc":
            sys.exit("handoff: ALLOCATOR=jemalloc, but jemalloc is not installed "
                     "(Debian: apt-get install libjemalloc2)")
        return "pymalloc"
    added_now = {"LD_PRELOAD": library, "PYTHONMALLOC": "malloc"}
    if "MALLOC_CONF" not in os.environ:
        added_now["MALLOC_CONF"] = MALLOC_CONF
    env = {**os.environ, **added_now, MARK: ",".join(added_now)}
    for stream in (sys.stdout, sys.stderr):  # None when the process has no such stream
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    try:
        os.execve(sys.executable, sys.orig_argv, env)
    except OSError as exc:  # the interpreter cannot be started again: stay as we are
        if choice == "jemalloc":
            sys.exit(f"handoff: ALLOCATOR=jemalloc, but the restart on it failed ({exc})")
        print(f"handoff: could not restart on jemalloc ({exc}); using Python's allocator",
              file=sys.stderr, flush=True)
    return "pymalloc"

