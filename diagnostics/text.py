"""diagnostics.text
~~~~~~~~~~~~~~~~

Numbers as a report shows them: short text, tables, and JSON-safe values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """Plain Python values JSON can hold: numpy scalars to Python, NaN and
    infinity to None, tuples and arrays to lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def g(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    return "nan" if not math.isfinite(x) and math.isnan(x) else f"{x:.{digits}g}"


def pct(x: float | None) -> str:
    return "-" if x is None else ("nan" if math.isnan(x) else f"{100 * x:.1f}%")


def table(rows: list[list[str]], header: list[str]) -> str:
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in cells)


def sentences(*parts: str) -> str:
    """``parts`` as consecutive sentences: every part but the last ends with
    one full stop (or its own ``?`` or ``!``) and one space follows it; the
    last keeps its end.  Empty parts are left out: ``sentences("a transposed
    product.", "In the trial")`` is ``"a transposed product. In the trial"``."""
    kept = [part.strip() for part in parts if part.strip()]
    body = [part if part.endswith((".", "?", "!")) else part + "." for part in kept[:-1]]
    return " ".join(body + kept[-1:])
