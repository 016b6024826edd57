"""Handing freed memory back to the system between the big steps of an upload."""

from __future__ import annotations

import ctypes
import sys


def release_memory() -> None:
    """Give freed memory back to the system after a big step (an upload's read, validation, load).

    Python and NumPy (glibc's malloc), Arrow (its mimalloc pool) and DuckDB (its own allocator) each
    keep freed memory for themselves: without this, a million-row upload's freed intermediate frames
    stayed resident in one allocator while the next step's data grew in another (~300 MB more at the peak).
    """
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass

