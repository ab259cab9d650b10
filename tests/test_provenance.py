"""The numerical fingerprint (nndl.provenance) and the records it stamps.

Both ways: the fingerprint stays when the text changes but not the numbers
(a comment, an error message, another process, another BLAS thread count),
and it changes when the maths does (the sigmoid's clamp, the L2 term, the
loader's scaling).  The edits are made to copies of the project's modules in
a temporary folder, whose fingerprint a fresh process computes: the probe
has to see them through the real code path.  Whether it is the same on
another CPU kernel is not tested here (a test must not assert a
kernel-dependent fact): ``python -m nndl.provenance --compare`` measures it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments import book, records, runner
from nndl import provenance

ROOT = Path(__file__).resolve().parent.parent
SHOW = "import network, nndl.provenance as p; print(network.__file__); print(p.fingerprint())"


def start(folder: Path, **env: str) -> subprocess.Popen:
    """A fresh process that prints where ``network`` came from and the
    fingerprint, with ``folder`` first on its path."""
    return subprocess.Popen([sys.executable, "-c", SHOW], cwd=folder, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(folder), **env})


def result(process: subprocess.Popen, folder: Path) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    where, fingerprint = out.split()
    assert Path(where).parent == folder, "the copy was not the code that ran"
    return fingerprint


def copy_project(folder: Path) -> Path:
    """The top-level modules and the nndl package, copied into ``folder``."""
    folder.mkdir()
    for path in ROOT.glob("*.py"):
        shutil.copy(path, folder)
    shutil.copytree(ROOT / "nndl", folder / "nndl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def edit(folder: Path, old: str, new: str, everywhere: bool = False) -> None:
    """Replace the first ``old`` (a regular expression) in the first copied
    module that holds it, or in each with ``everywhere``; the test fails if
    none does (the code moved: update the edit)."""
    found = False
    for path in sorted(folder.rglob("*.py")):
        text = path.read_text()
        changed = re.sub(old, new, text, count=1)
        if changed != text:
            path.write_text(changed)
            found = True
            if not everywhere:
                return
    assert found, f"no module holds {old!r}: update this test's edit"


def test_the_fingerprint_is_short_hex_and_stable_within_a_process():
    first = provenance.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert provenance.stamp(provenance.probe()) == first == provenance.fingerprint()
    assert records.code_version() == first


def test_the_probe_covers_every_registered_setting():
    import initializers
    import network

    labels = " ".join(label for label, _ in provenance.probe())
    for name in initializers.names():
        assert f"init {name} " in labels
    for activation in network.ACTIVATIONS:
        for cost in network.COSTS:
            assert f"train {activation} {cost} float32 lmbda=2 cost" in labels
    for what in ("lsuv", "network2 SGD", "loader .gz", "loader plain", "extremes"):
        assert what in labels


def test_rounding_keeps_the_digits_and_drops_the_last_bits():
    a = np.array([0.123456789, -0.5, 1e-20])
    assert provenance.text(a) == provenance.text(a * (1 + 1e-14))
    assert provenance.text(a) != provenance.text(a * (1 + 1e-7))
    assert provenance.text(np.float64(-0.0)) == provenance.text(np.float64(0.0))
    f = np.float32(0.123456)
    assert provenance.text(f) == provenance.text(np.nextafter(f, np.float32(1)))
    assert provenance.text(np.float64(5e-324)) != provenance.text(np.float64(1e-323))


def test_fresh_processes_and_blas_threads_give_the_same_fingerprint():
    runs = [start(ROOT, OPENBLAS_NUM_THREADS=n) for n in ("1", "2")]
    assert [result(r, ROOT) for r in runs] == [provenance.fingerprint()] * 2


def test_text_changes_keep_it_and_maths_changes_change_it(tmp_path):
    edits = {
        "text": [(r"\n(def |class )", r"\n# A comment the fingerprint ignores.\n\1"),
                 (r'raise ValueError\(f"', 'raise ValueError(f"reworded: ')],
        "sigmoid clamp": [(r"np\.log\(np\.finfo\(t\)\.max\) - 1", "np.log(np.finfo(t).max) - 3")],
        # the step's decay, not nndl.checks' test of its range
        "L2 step": [(r"fused\.update\(net, 1\.0 - eta \* lmbda / n\)",
                     "fused.update(net, 1.0 - eta * lmbda / (2 * n))")],
        "L2 cost": [(r"0\.5 \* lmbda / \(n or len\(data\)\)", "lmbda / (n or len(data))")],
        "plain loader": [(r"np\.divide\(pixels, 255,", "np.divide(pixels, 256,")],
        "gzipped loader": [(r"np\.uint8, offset=header\), 255,", "np.uint8, offset=header), 256,")],
    }
    runs = {}  # started together: the processes run in parallel
    for name, changes in edits.items():
        folder = copy_project(tmp_path / name.replace(" ", "_"))
        for old, new in changes:
            edit(folder, old, new, everywhere=name == "text")
        runs[name] = folder, start(folder)
    got = {name: result(process, folder) for name, (folder, process) in runs.items()}
    here = provenance.fingerprint()
    assert got.pop("text") == here  # a comment and an error message in every module
    changed = got
    assert here not in changed.values() and len(set(changed.values())) == len(changed), changed


# ---- the stamps of records, and the migration from the text hash -----------------------


def test_book_and_runner_stamps_follow_the_fingerprint_and_the_scripts_version(monkeypatch):
    from experiments import compare_initializers, runner

    book_stamp = book.code_version()
    runner_stamp = runner.code_version(compare_initializers.train)
    monkeypatch.setattr(book, "RUN_CODE_VERSION", book.RUN_CODE_VERSION + 1)
    monkeypatch.setattr(compare_initializers, "RUN_CODE_VERSION", 99)
    assert book.code_version() != book_stamp
    assert runner.code_version(compare_initializers.train) != runner_stamp
    monkeypatch.undo()
    monkeypatch.setattr(provenance, "fingerprint", lambda: "0123456789ab")
    assert book.code_version() != book_stamp
    assert runner.code_version(compare_initializers.train) != runner_stamp


def test_a_legacy_stamp_counts_as_the_stamp_it_maps_to(tmp_path, monkeypatch):
    today = records.code_version()
    monkeypatch.setattr(records, "LEGACY", {"0ld0ld0ld0ld": today, "0ther0ther00": "ffffffffffff"})
    path = tmp_path / "r.json"
    numpy = f"{records.LEGACY_NUMPY}.9"
    for stamp, numpy_version, reused in [("0ld0ld0ld0ld", numpy, True),
                                         ("0ld0ld0ld0ld", "1.26.4", False),  # numpy not 2.4
                                         ("0ther0ther00", numpy, False),  # maps elsewhere
                                         ("0123456789ab", numpy, False)]:  # unknown
        records.write_json(path, {"config": {"seed": 1},
                                  "versions": {"code": stamp, "numpy": numpy_version}})
        assert (records.read_record(path, {"seed": 1}, code=today) is not None) == reused
    assert records.same_code("0ld0ld0ld0ld", today) and not records.same_code(None, today)


def test_the_book_sweep_reuses_a_migrated_record(tmp_path, monkeypatch):
    args = book.parse_args(["--rows", "ch5-speed-3-h1", "--quick", "--seeds", "1",
                            "--out", str(tmp_path)])
    config = book.run_config("ch5-speed-3", 0, quick=True)
    monkeypatch.setattr(records, "LEGACY", {"0ld0ld0ld0ld": book.code_version()})
    record = {"format": book._FORMAT, "version": book.RUN_CODE_VERSION, "config": config,
              "versions": {"code": "0ld0ld0ld0ld", "numpy": np.__version__},
              "speed": [0.1, 0.2]}
    records.write_json(book.record_path(tmp_path, config), record)
    assert list(runner.saved(book.runs(args), book.read)) == [("ch5-speed-3", 0)]
    monkeypatch.setattr(records, "LEGACY", {})
    assert runner.saved(book.runs(args), book.read) == {}


def test_the_published_book_tables_carry_the_new_stamp():
    """docs/book*.json were re-stamped when the fingerprint replaced the text
    hash; a table made since carries its code's stamp, never a text hash."""
    for name in ("book.json", "book_pixels256.json"):
        stamp = json.loads((ROOT / "docs" / "results" / name).read_text())["code"]
        assert re.fullmatch(r"[0-9a-f]{12}", stamp) and stamp not in records.LEGACY


@pytest.mark.parametrize("argv", [[], ["--compare"]])
def test_the_command_line(tmp_path, capsys, argv):
    if argv:
        provenance.main(["--dump", str(tmp_path / "a.json")])
        capsys.readouterr()
        argv = [*argv, str(tmp_path / "a.json"), str(tmp_path / "a.json")]
    provenance.main(argv)
    out = capsys.readouterr().out
    assert provenance.fingerprint() in out
    if argv:
        assert "largest spread: 0 of a rounding quantum" in out
