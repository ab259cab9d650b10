"""nndl.files
~~~~~~~~~~

One way to write a file: to a temporary file beside it, then renamed over it.
``os.replace`` is atomic on POSIX and Windows, so a reader, a resumed sweep or
a crash sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

# The process's umask, read once at import (reading it means setting it).
UMASK = os.umask(0)
os.umask(UMASK)


def write_atomic(path: str | os.PathLike, write: Callable) -> None:
    """Write through ``write(file)`` (a binary file object) to a temporary file
    beside ``path``, then rename it over ``path``.

    The parent folder is made if missing.  The file gets the usual mode
    (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``.  On any
    error, the temporary file is removed and the error re-raised; ``path`` is
    then as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """:func:`write_atomic` for bytes already in memory."""
    write_atomic(path, lambda f: f.write(data))
