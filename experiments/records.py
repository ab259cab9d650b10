"""experiments.records
~~~~~~~~~~~~~~~~~~~~~

Records: one JSON file per run, keyed by a hash of its full configuration and
stamped with the numerical fingerprint of the code that made it
(:func:`nndl.provenance.fingerprint`), written atomically (temporary file,
then rename) so that a killed sweep leaves whole records or none and resumes
where it stopped.  Nothing here is ever unpickled: records are JSON.

    python -m nndl.provenance      # prints this code's stamp
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

import network
from nndl import provenance


def versions() -> dict[str, str]:
    """The versions a result depends on, stored in every record."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "code": code_version()}


def code_version() -> str:
    """The stamp of the numbers this code computes: the numerical fingerprint
    of :func:`nndl.provenance.fingerprint` (network, network2, initializers
    and mnist_loader run on a fixed probe, numpy's major.minor version and
    ``provenance.NUMERICS``).  A change that alters the numbers, say a more
    exact sigmoid, changes it, so a sweep does not reuse runs recorded
    before; a new comment or error message does not.  What a sweep script
    itself computes from the numbers is its records' ``version``, an integer
    the script bumps by hand (``RUN_CODE_VERSION``)."""
    return provenance.fingerprint()


# Until the numerical fingerprint, records were stamped with a hash of the
# source text: these stamps, each with the one that replaced it.  Their code
# computes the fingerprint's numbers: the probe run on the code of commits
# 1d4c4e6 and 1df8dc4 (when the text hashes below were made) gives
# 893dc43527a5, as this code does, with numpy 2.4.  So a record stamped with
# one of them counts as made by the code whose stamp it maps to, as long as
# that is today's and the record's numpy is 2.4 (the text hash did not cover
# numpy).  Keys: records.code_version() (network, initializers, mnist_loader),
# experiments.book's code_version() (docs/book.json was made with 6fd48b070aa2)
# and runner.code_version(train) of the four sweep scripts, at both commits.
LEGACY_NUMPY = "2.4"
LEGACY = {
    "d968314c4bf8": "893dc43527a5", "ddb8db9eef3c": "893dc43527a5",  # records
    "6fd48b070aa2": "90329b60e21a", "31fddf91866e": "90329b60e21a",  # experiments.book
    "60bdd7d456c9": "64f3ca9db8f7", "6d5466d2182e": "64f3ca9db8f7",
    "821f5aaad4f9": "fd991c51a26b", "eabeb8488ba0": "fd991c51a26b",
    "b09076b94f06": "8c7db7a23042", "eac4b5d05559": "8c7db7a23042",
    "ce1611bec647": "ce6d648a8dd3", "eeb3882a1484": "ce6d648a8dd3",
}


def same_code(stamp: object, current: str, numpy_version: object = None) -> bool:
    """Whether a result stamped ``stamp`` was made by code that computes what
    the code stamped ``current`` does: the same stamp, or a :data:`LEGACY`
    one that maps to it (made with numpy :data:`LEGACY_NUMPY`, when
    ``numpy_version``, the version the result records, is given)."""
    if stamp == current:
        return True
    if not isinstance(stamp, str) or LEGACY.get(stamp) != current:
        return False
    return numpy_version is None or _major_minor(numpy_version) == LEGACY_NUMPY


def _major_minor(version: object) -> str | None:
    return ".".join(version.split(".")[:2]) if isinstance(version, str) else None


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
    and made by the code stamped ``code`` (:func:`code_version`, or a stamp
    :func:`same_code` accepts as equal to it) (each when given), from
    ``config`` exactly; ``None`` otherwise (then the run is done again)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("config") != config:
        return None
    if fmt is not None and (record.get("format"), record.get("version")) != (fmt, version):
        return None
    made_by = record.get("versions")
    if code is not None and (not isinstance(made_by, dict) or not same_code(
            made_by.get("code"), code, made_by.get("numpy", ""))):
        return None
    return record
