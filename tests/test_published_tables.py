"""The published main table holds on this machine: a regeneration agrees with
it within its spread over seeds, not to the last digit.

OpenBLAS rounds equal rows of a product differently on different CPU kernels,
so the published digits repeat only on the machine kind named in the table's
caption (docs/reproducibility.md).  What must hold anywhere is the spread: a
run with a seed the table did not use falls inside the 99 % prediction
interval of the published seeds, row by row.  ``zeros`` is left out on
purpose: whether its hidden neurons stay identical depends on the kernel
itself (docs/symmetry_explained.md; tests/test_symmetry.py checks what holds
everywhere).
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

from experiments import book_stats, compare_initializers

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "results" / "compare_initializers.md"
NEW_SEED = 7  # not among the published seeds
KERNEL_DEPENDENT = {"zeros"}


def published_finals(path: Path = TABLE) -> dict[str, list[float]]:
    """Each initializer's final test accuracies, per seed, in %, from the table."""
    rows = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([a-z0-9_]+)`", cells[0]) if cells else None
        if name and len(cells) >= 4:
            rows[name.group(1)] = [float(v) for v in cells[3].split(",")]
    return rows


def test_the_published_table_reads():
    rows = published_finals()
    assert {"rand", "randn", "zeros", "xavier_normal", "chapter3"} <= set(rows)
    assert all(len(v) >= 3 for v in rows.values())


@pytest.mark.slow
def test_a_new_seed_falls_within_the_published_spread(tmp_path, mnist_dir):
    published = published_finals()
    inits = [name for name in published if name not in KERNEL_DEPENDENT]
    argv = ["--inits", ",".join(inits), "--seeds", f"{NEW_SEED},", "--data-dir", str(mnist_dir),
            "--out", str(tmp_path)]
    assert compare_initializers.main(argv) == 0
    outside = []
    for path in (tmp_path / "runs").glob("*.json"):
        record = json.loads(path.read_text())
        init = record["config"]["init"]
        final = 100 * record["history"]["test_accuracy"][-1]
        values = published[init]
        mean, sd = statistics.mean(values), statistics.stdev(values)
        half = book_stats.prediction_halfwidth(max(sd, 0.05), len(values), 0.995)
        if abs(final - mean) > half:
            outside.append(f"{init}: {final:.2f} % outside {mean:.2f} ± {half:.2f}")
    assert not outside, outside
