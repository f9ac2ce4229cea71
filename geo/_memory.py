"""Give freed memory back to the system between the passes of a large analysis.

glibc's allocator keeps freed blocks of a few hundred kilobytes in its heap (its
threshold for mapping blocks on their own rises with every large block freed), so a
read of many chunks leaves the process holding memory it no longer uses; Arrow's
allocator does the same for its buffers. :func:`release_memory` returns both to the
system. Elsewhere than on glibc it returns Arrow's only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

__all__ = ["release_memory"]


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_memory() -> None:
    """Return the free memory of the C heap and of Arrow's pool to the system."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
