"""experiments.records
~~~~~~~~~~~~~~~~~~~~~

Records: one JSON file per run, keyed by a hash of its full configuration and
stamped with a hash of the code that made it, written atomically (temporary
file, then rename) so that a killed sweep leaves whole records or none and
resumes where it stopped.  Nothing here is ever unpickled: records are JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

import initializers
import mnist_loader
import network
from nndl import machine


def versions() -> dict[str, Any]:
    """The versions a result depends on, stored in every record, and the
    machine it was made on (:func:`nndl.machine.machine`: CPU, BLAS, its
    kernel and threads, numpy), whose rounding decides its last bits."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "code": code_version(),
            "machine": machine.machine()}


def code_version() -> str:
    """A short hash of the modules whose code makes a result's numbers
    (network, initializers, mnist_loader): a change to any of them, say a
    more exact sigmoid, changes the numbers, so a sweep must not reuse runs
    recorded before it."""
    digest = hashlib.sha256()
    for module in (network, initializers, mnist_loader):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


def config_key(config: dict) -> str:
    """A short hash naming a configuration: equal configurations, equal keys."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def finite_or_none(values: Iterable[float]) -> list[float | None]:
    """JSON has no NaN or infinity: a diverged run's numbers are stored as null."""
    return [float(v) if math.isfinite(v) else None for v in values]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over
    ``path``: readers (and a resumed sweep) see the old file or the new one,
    never a half-written one."""
    network.write_atomic(path, lambda f: f.write(data))


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, indent=1, allow_nan=False) + "\n").encode())


def write_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode())


def read_record(path: Path, config: dict, fmt: str | None = None,
                version: int | None = None, code: str | None = None) -> dict | None:
    """The record at ``path`` if it is whole, of format ``fmt`` and ``version``
    and made by the code of :func:`code_version` ``code`` (each when given),
    from ``config`` exactly; ``None`` otherwise (then the run is done again)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("config") != config:
        return None
    if fmt is not None and (record.get("format"), record.get("version")) != (fmt, version):
        return None
    made_by = record.get("versions")
    if code is not None and (not isinstance(made_by, dict) or made_by.get("code") != code):
        return None
    return record

