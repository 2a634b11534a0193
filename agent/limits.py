"""Self-limits: the agent yields the machine to its user and degrades instead of dying.

Low CPU and I/O priority for the whole process (children inherit it), a memory ceiling (above
it the next round skips the expensive sections, software lists, and says so in the report), and
freed memory handed back to the OS between rounds.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes

# mallopt(3) parameter number from glibc's malloc.h.
_M_ARENA_MAX = -8

log = logging.getLogger("canh.agent")


def lower_priority() -> None:
    """Lowest CPU priority and idle I/O class, where the OS allows it."""
    if sys.platform.startswith("win"):
        # psutil only where it is the way in (the priority class API): on Linux it would cost
        # the long-running agent ~5 MiB of resident memory for two system calls.
        import psutil

        try:
            psutil.Process().nice(psutil.IDLE_PRIORITY_CLASS)  # type: ignore[attr-defined]
        except (OSError, psutil.Error) as err:
            log.warning("could not lower priority: %s", err)
        return
    try:
        os.nice(19 - os.nice(0))
    except OSError as err:
        log.warning("could not lower priority: %s", err)
    if sys.platform.startswith("linux"):
        _idle_io()


def _idle_io() -> None:
    """The idle I/O class (ioprio_set(2)) through util-linux ionice(1): Python has no wrapper,
    and the system call's number differs between architectures."""
    try:
        subprocess.run(  # noqa: S603 - fixed argv
            ["ionice", "-c", "3", "-p", str(os.getpid())],  # noqa: S607 - util-linux, on PATH
            check=True,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as err:
        log.warning("could not set the idle I/O class: %s", err)


def rss_bytes() -> int:
    """This process's resident memory."""
    if sys.platform.startswith("linux"):
        with open("/proc/self/statm", "rb") as statm:  # size resident shared … in pages
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    import psutil

    return int(psutil.Process().memory_info().rss)


def over_ceiling(ceiling: int) -> bool:
    """True when the agent uses more memory than its ceiling."""
    used = rss_bytes()
    if used > ceiling:
        log.warning(
            "agent uses %d MiB, over its %d MiB ceiling: skipping expensive sections",
            used // 2**20,
            ceiling // 2**20,
        )
        return True
    return False


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (malloc_trim, mallopt), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None)
    if not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None  # musl and other libcs
    return libc


def one_malloc_arena() -> None:
    """Let glibc keep one heap for all threads (call before any thread starts).

    By default each section worker thread gets a heap of its own (up to 8 per core), and the
    memory freed there stays with the thread's heap after the thread ends: ~1 MiB resident for
    nothing in an agent that sleeps between rounds. One heap costs a little lock contention
    between four threads that mostly wait for commands."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)


def release_freed_memory() -> None:
    """Hand memory freed by a round back to the OS, so the agent sleeps at its steady size.

    A round's transient objects (command output, parsed facts, the encoded report) are freed
    when it ends, but glibc returns free pages only at the top of its heap; malloc_trim(3)
    returns those inside it too. Cycles (tracebacks, thread pool bookkeeping) are collected
    first so that their memory is free by then."""
    libc = _glibc()
    if libc is not None:
        gc.collect()
        libc.malloc_trim(0)
