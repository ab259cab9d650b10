"""What a user sees when the data is missing or wrong, from the command line:
the experiment scripts and the benchmarks end with the loader's message in
the command line's words (``--data-dir``), no traceback, and exit status 2;
a folder the user names is never created; a benchmark that measured nothing
says SKIPPED; and the product never points at this repository's CI folders.

The loader's own checks are in test_mnist_loader.py.  Nothing here uses the
network: the mirrors point at a closed local port.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import diagnostics
import mnist_loader
from benchmarks import __main__ as benchmarks_main
from benchmarks import common
from experiments import (
    cli,
    compare_initializers,
    depth,
    gradient_flow,
    my_network,
    saturation,
    symmetry,
)
from nndl import locate

ROOT = Path(__file__).resolve().parent.parent

# The scripts that read data, with flags that keep them small.
DATA_SCRIPTS = {
    compare_initializers: ["--epochs", "1", "--train-size", "100", "--inits", "zeros",
                           "--seeds", "1", "--jobs", "1"],
    saturation: ["--inits", "zeros", "--images", "50"],
    symmetry: ["--inits", "zeros", "--epochs", "1", "--train-size", "100"],
    gradient_flow: ["--inits", "zeros", "--epochs", "1", "--train-size", "100", "--images",
                    "50", "--jobs", "1"],
    depth: ["--width", "8", "--depth", "2", "--epochs", "1", "--train-size", "100", "--eta",
            "0.1", "--activations", "tanh", "--inits", "xavier_uniform", "--jobs", "1"],
    my_network: ["--train-size", "100"],
}
# The benchmarks that read real data.
DATA_BENCHMARKS = ["chapter1", "memory", "float32", "evaluate", "load", "diagnose"]
# ... and the one that passes --data-dir on to the sweeps it times.
DATA_DIR_BENCHMARKS = [*DATA_BENCHMARKS, "cluster"]


def guarded(main, argv: list[str]) -> int:
    """Run ``main(argv)`` as ``python -m`` runs a script: through cli.main_guard."""
    with pytest.raises(SystemExit) as info:
        cli.main_guard(lambda: main(argv))
    return info.value.code


def bad_files(folder: Path) -> Path:
    """Four IDX files of the right form but not the canonical content."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in mnist_loader.FILES:
        shape = (20, 28, 28) if "images" in name else (20,)
        top = 256 if "images" in name else 10
        mnist_loader.write_idx(folder / (name + ".gz"),
                               rng.integers(0, top, shape).astype(np.uint8))
    return folder


# ---- experiment scripts without data ----------------------------------------


@pytest.mark.parametrize("module", list(DATA_SCRIPTS), ids=lambda m: m.NAME)
def test_script_without_data_names_the_flag(module, offline, tmp_path, capsys):
    code = guarded(module.main, [*DATA_SCRIPTS[module], "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: mnist data not found: missing train-images-idx3-ubyte.gz")
    assert "pass --data-dir /path/to/folder" in err and "set MNIST_DATA_DIR=" in err
    assert "data_dir=" not in err and "the data_dir argument" not in err
    assert "Traceback" not in err


def test_fashion_without_data_names_the_flag(offline, tmp_path, capsys):
    """A variant: the other data set, whose message offers no book pickle."""
    code = guarded(symmetry.main, [*DATA_SCRIPTS[symmetry], "--dataset", "fashion-mnist",
                                   "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "fashion-mnist data not found" in err
    assert "set FASHION_MNIST_DATA_DIR=" in err and "mnist.pkl" not in err


def test_script_with_a_folder_lacking_the_files(offline, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = guarded(saturation.main, [*DATA_SCRIPTS[saturation], "--data-dir",
                                     str(tmp_path / "empty"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'empty'}  (--data-dir; has 0 of the 4 files)" in err


@pytest.mark.parametrize("script", [m.__name__ for m in DATA_SCRIPTS])
def test_script_with_bad_files_exits_2_without_traceback(script, tmp_path):
    """As a user runs it: ``python -m``, a real process, files that are not MNIST."""
    folder = bad_files(tmp_path / "data")
    module = sys.modules[script]
    done = subprocess.run(
        [sys.executable, "-m", script, *DATA_SCRIPTS[module], "--data-dir", str(folder),
         "--out", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "checksum mismatch" in done.stderr and "Traceback" not in done.stderr
    assert "verify=False" not in done.stderr  # a Python argument: no use on the command line


def test_every_script_runs_through_the_guard():
    """Every script under experiments/ (each file that can run as ``python -m``)
    ends in cli.main_guard, so that each ends on bad data (and, later, on
    Ctrl-C) in the same way; so does every benchmark given --data-dir."""
    scripts = [path for path in sorted((ROOT / "experiments").glob("*.py"))
               if 'if __name__ == "__main__":' in path.read_text()]
    assert {"depth.py", "my_network.py", "book.py"} <= {path.name for path in scripts}
    for path in scripts:
        assert path.read_text().rstrip().endswith(
            'if __name__ == "__main__":\n    cli.main_guard(main)'), path.name
    for name in DATA_DIR_BENCHMARKS:
        source = (ROOT / "benchmarks" / f"{name}.py").read_text()
        assert "cli.main_guard(" in source.rstrip().splitlines()[-1], name


def test_diagnostics_without_data_names_the_flag(offline, capsys):
    """``python -m diagnostics`` speaks to a command-line user too: --data-dir,
    not the Python argument data_dir=."""
    code = diagnostics.main(["--init", "xavier_uniform", "--images", "50"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("python -m diagnostics: error: mnist data not found")
    assert "pass --data-dir /path/to/folder" in err
    assert "data_dir=" not in err and "the data_dir argument" not in err


def test_diagnostics_with_bad_files_names_no_python_argument(tmp_path, capsys):
    """A variant: files that are not MNIST (the loader's hint verify=False is
    a Python argument, of no use on the command line)."""
    folder = bad_files(tmp_path / "data")
    code = diagnostics.main(["--init", "xavier_uniform", "--data-dir", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "checksum mismatch" in err and "verify=False" not in err


# ---- a folder the user names is never created --------------------------------


@pytest.mark.parametrize("module", list(DATA_SCRIPTS), ids=lambda m: m.NAME)
def test_data_dir_flag_that_does_not_exist(module, tmp_path, capsys):
    folder = tmp_path / "no" / "such"
    with pytest.raises(SystemExit) as info:
        module.parse_args(["--data-dir", str(folder)])
    assert info.value.code == 2
    assert f"argument --data-dir: {folder} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_data_dir_flag_that_is_a_file(tmp_path, capsys):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(SystemExit):
        compare_initializers.parse_args(["--data-dir", str(path)])
    assert "is not a folder" in capsys.readouterr().err


def test_benchmark_data_dir_flag_that_does_not_exist(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        common.parse(common.parser("x", "x"), ["--data-dir", str(tmp_path / "nope")])
    assert info.value.code == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


# ---- benchmarks: SKIPPED when nothing was measured -------------------------------


def test_summary_says_skipped():
    assert benchmarks_main.summary(common.SKIPPED, quick=True).startswith("SKIPPED")
    assert benchmarks_main.summary(common.SKIPPED, quick=False).startswith("SKIPPED")
    assert "part SKIPPED" in benchmarks_main.summary(common.PARTLY_SKIPPED, quick=True)
    assert benchmarks_main.summary(common.PASSED, quick=True) == "PASS"
    assert benchmarks_main.summary(2, quick=True) == "ERROR (exit 2)"
    assert common.status(ok=False, skipped=True) == common.MISSED  # a miss comes first


def _benchmarks(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _row(stdout: str, name: str) -> str:
    summary = stdout[stdout.index("== summary =="):]
    return next(line for line in summary.splitlines() if line.startswith(name + " "))


def test_quick_benchmarks_without_pytorch_say_skipped(tmp_path):
    """PyTorch made unimportable, as on a machine without it."""
    (tmp_path / "torch.py").write_text("raise ImportError('no PyTorch here (a test)')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = _benchmarks(["torch_compare", "--quick"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the comparison is skipped" in done.stdout
    assert "SKIPPED" in _row(done.stdout, "torch_compare")


def test_benchmarks_without_real_data_say_skipped():
    """A variant: no real MNIST."""
    if locate.idx_paths(locate.CACHE_DIR / "mnist") is not None:
        pytest.skip("the cache data/mnist/ holds MNIST: the benchmarks would find it")
    env = {k: v for k, v in os.environ.items() if k != "MNIST_DATA_DIR"}
    done = _benchmarks(["chapter1", "load", "--quick"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SKIPPED" in _row(done.stdout, "chapter1") and "SKIPPED" in _row(done.stdout, "load")
    assert "pass --data-dir DIR or set MNIST_DATA_DIR" in done.stdout


@pytest.mark.parametrize("name", DATA_BENCHMARKS)
def test_benchmark_with_bad_files_exits_2_without_traceback(name, tmp_path):
    folder = bad_files(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--quick", "--data-dir",
                           str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "checksum mismatch" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", ["diagnose", "cluster"])
def test_benchmark_with_a_folder_lacking_the_files(name, tmp_path):
    (tmp_path / "empty").mkdir()
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--quick", "--data-dir",
                           str(tmp_path / "empty")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith(f"error: --data-dir {tmp_path / 'empty'}: this folder")
    assert "Traceback" not in done.stderr


# ---- no development paths in the product -------------------------------------


def test_product_never_names_the_ci_data():
    """The product looks in data_dir=, the variables, its data/ cache, then
    downloads: nothing in it (code, messages, README, docs, notebook) names the folder
    beside the checkout where this repository's CI keeps its copies."""
    product = [ROOT / "README.md", ROOT / "data" / "README.md", ROOT / "pyproject.toml",
               *sorted((ROOT / "docs").glob("*.md")),
               *sorted((ROOT / "notebooks").glob("why_rand_fails.*")),
               ROOT / "mnist_loader.py", ROOT / "network.py", ROOT / "initializers.py",
               *sorted((ROOT / "nndl").glob("*.py")),
               *sorted((ROOT / "experiments").glob("*.py")),
               *sorted((ROOT / "benchmarks").glob("*.py"))]
    for path in product:
        text = path.read_text()
        for needle in ("../shared", "shared/data", "/work/shared", '"shared"'):
            assert needle not in text, f"{path.relative_to(ROOT)} names {needle}"
