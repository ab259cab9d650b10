"""Every benchmark script runs to the end in its tiny mode (seconds).

No timing is checked here: the figures of a tiny run on a shared machine mean
nothing.  The targets are checked by ``python -m benchmarks`` itself.  Each
script runs in its own process, as ``python -m benchmarks`` runs it; exit
status 0 (targets met), 3 (a target missed), 4 (nothing to measure: no
PyTorch) and 5 (some measurements skipped: no real data) all mean it ran to
the end.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import common
from benchmarks.__main__ import OUTCOMES, SCRIPTS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_benchmark_runs_in_quick_mode(name):
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in OUTCOMES, done.stderr[-3000:]
    assert done.stdout.strip(), done.stderr[-3000:]
    # One line says what quick verdicts mean, right at the start, in every script.
    assert done.stdout.startswith(common.QUICK_NOTE + "\n"), done.stdout[:500]
    assert done.stdout.count("check only that the script runs") == 1, done.stdout


def test_quick_says_once_what_its_verdicts_check(capsys):
    args = common.parse(common.parser("depth", "x"), ["--quick"])
    out = capsys.readouterr().out
    assert args.quick and out == common.QUICK_NOTE + "\n"
    assert "only that the script runs, not the targets" in out
    common.parse(common.parser("depth", "x"), [])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_usage_names_the_command_that_runs_the_script(name, capsys):
    module = importlib.import_module(f"benchmarks.{name}")
    run = getattr(module, "run", None) or module.main
    with pytest.raises(SystemExit) as exit_info:
        run(["--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m benchmarks.{name} [-h]")


def test_help_shows_only_the_flags_a_script_uses(capsys):
    """A flag a script ignores is hidden from its --help, yet accepted, so
    that ``python -m benchmarks --data-dir DIR`` can pass it to every script."""
    from benchmarks import common

    for data, blas in ((False, False), (True, True), (False, True)):
        p = common.parser("x", "x", blas_threads=blas, data=data)
        p.print_help()
        shown = capsys.readouterr().out
        assert ("--data-dir" in shown) == data and ("--blas-threads" in shown) == blas
        args = p.parse_args(["--data-dir", ".", "--blas-threads", "2"])
        assert args.data_dir is not None and args.blas_threads == 2
