"""experiments.common
~~~~~~~~~~~~~~~~~~~~

What every experiment script shares, so that no script copies another:

* finding and loading the data (MNIST or Fashion-MNIST, real files only);
* command-line argument types that reject bad input before any training, and
  the flags several scripts share;
* records: a JSON file per run, keyed by a hash of its full configuration,
  written atomically (temporary file, then rename) so that a killed sweep
  leaves whole records or none, and resumes where it stopped;
* a process pool whose workers use one BLAS thread each;
* small plotting and table helpers.

Nothing here is ever unpickled: records are JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import platform
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

import initializers
import mnist_loader
import network

REPO_ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("mnist", "fashion-mnist")
ENV_VARS = {"mnist": "MNIST_DATA_DIR", "fashion-mnist": "FASHION_MNIST_DATA_DIR"}
# Environment variables that cap the threads of the BLAS numpy may be linked to.
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def shared_data_dir(dataset: str) -> Path:
    """Where the project's machines keep the data: ``../shared/data/<dataset>``
    beside the repository."""
    return REPO_ROOT.parent / "shared" / "data" / dataset


def resolve_data_dir(dataset: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder to read ``dataset`` from: ``data_dir`` if given, else the
    environment variable (``MNIST_DATA_DIR`` / ``FASHION_MNIST_DATA_DIR``),
    else ``../shared/data/<dataset>`` if it exists.  ``None`` leaves the choice
    to :mod:`mnist_loader` (its cache, then a download)."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(ENV_VARS[dataset])
    if env:
        return Path(env)
    shared = shared_data_dir(dataset)
    return shared if shared.is_dir() else None


def real_data_dir(dataset: str) -> Path | None:
    """The folder holding ``dataset``'s four IDX files, found as
    :func:`resolve_data_dir` finds it (the environment variable, else
    ``../shared/data/<dataset>``), or ``None`` when they are not there.  For
    what must never download: the benchmarks and the tests."""
    folder = resolve_data_dir(dataset)
    if folder is None or mnist_loader._idx_paths(folder) is None:
        return None
    return folder


Pair = tuple[np.ndarray, np.ndarray]
_CACHE: dict[tuple, tuple[Pair, Pair, Pair]] = {}


def load(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    n_train: int | None = None,
    *,
    download: bool = True,
) -> tuple[Pair, Pair, Pair]:
    """``(training, validation, test)`` as ``(X, labels)`` arrays, the book's
    split (50,000 / 10,000 / 10,000).  ``n_train`` keeps only the first
    ``n_train`` training images (for quick runs; validation and test stay whole).

    Loaded once per process: a pool worker that runs several trainings reads
    the files once.  ``download=False`` raises
    ``mnist_loader.DataNotFoundError`` rather than fetch missing files."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {', '.join(DATASETS)}")
    folder = resolve_data_dir(dataset, data_dir)
    key = (dataset, str(folder), n_train)
    if key not in _CACHE:
        training, validation, test = mnist_loader.load_data(dataset, folder, download=download,
                                                              verbose=False)
        if n_train is not None:
            training = (training[0][:n_train], training[1][:n_train])
        _CACHE[key] = (training, validation, test)
    return _CACHE[key]


# --------------------------------------------------------------------------
# Command-line argument types: bad input fails before any training starts.
# --------------------------------------------------------------------------


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def unit_interval(text: str) -> float:
    value = positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def layer_sizes(text: str) -> list[int]:
    """``"784,30,10"`` -> ``[784, 30, 10]``."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 784,30,10, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two positive layer sizes such as 784,30,10, got {text!r}")
    return sizes


def init_names(text: str) -> list[str]:
    """``"rand,randn"`` -> ``["rand", "randn"]``, each checked against the registry;
    ``"all"`` -> every registered name."""
    if text.strip() == "all":
        return initializers.names()
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected at least one initializer name")
    for name in names:
        if name not in initializers.names():
            raise argparse.ArgumentTypeError(
                f"unknown initializer {name!r}; valid names: {', '.join(initializers.names())}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"an initializer is named twice in {text!r}")
    return names


def seed_list(text: str) -> list[int]:
    """``"3"`` -> seeds ``[0, 1, 2]``; ``"4,7"`` or ``"5,"`` -> exactly those seeds."""
    try:
        if "," not in text:
            count = int(text)
            if count < 1:
                raise ValueError
            return list(range(count))
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seeds (3 means seeds 0,1,2) or a list such as 4,7 "
            f"(a single seed as 5,), got {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct seeds >= 0, got {text!r}")
    return seeds


def add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", choices=DATASETS, default="mnist",
        help="which data to use: the book's MNIST digits or Fashion-MNIST (same format, "
             "harder). Default: %(default)s.")
    parser.add_argument(
        "--data-dir", default=None, metavar="DIR",
        help="folder holding the four IDX files. Default: $MNIST_DATA_DIR "
             "($FASHION_MNIST_DATA_DIR), else ../shared/data/<dataset>, else the loader's "
             "cache data/<dataset>/.")


# The training flags several scripts share, by keyword of add_training_args:
# argparse's keywords and the usual help.  In a help, "{default}" is filled in
# here (a list comma-separated), "{valid}" by the initializers' names, and
# "%(default)s" by argparse.
_TRAINING_FLAGS: dict[str, dict[str, Any]] = {
    "inits": {"type": init_names, "metavar": "A,B,...",
              "help": "comma-separated initializers, or all. Valid: {valid}. "
                      "Default: {default}."},
    "epochs": {"type": positive_int,
               "help": "passes over the training data. Default: %(default)s."},
    "seed": {"type": int,
             "help": "seed of the initialization and the shuffling. Default: %(default)s."},
    "sizes": {"type": layer_sizes, "help": "neurons per layer. Default: {default}."},
    "batch": {"type": positive_int, "help": "mini-batch size. Default: %(default)s."},
    "eta": {"type": positive_float, "help": "learning rate. Default: %(default)s."},
    "cost": {"choices": network.COSTS, "help": "cost function. Default: %(default)s."},
    "activation": {"choices": network.ACTIVATIONS,
                   "help": "hidden-layer activation. Default: %(default)s."},
    "train_size": {"type": positive_int, "metavar": "N",
                   "help": "train on the first N training images. Default: all 50,000."},
    "jobs": {"type": positive_int,
             "help": "initializers trained at once, one process each. Default: the number "
                     "of cores (%(default)s)."},
}


def add_training_args(parser: argparse.ArgumentParser, helps: dict[str, str] | None = None,
                      **defaults: Any) -> None:
    """Add the training flags named by keyword (``train_size`` is
    ``--train-size``), in the order given, each with the script's default:
    ``add_training_args(p, epochs=30, seed=0)``.  ``helps`` replaces the usual
    help of a flag where a script says more."""
    helps = helps or {}
    for name, default in defaults.items():
        spec = dict(_TRAINING_FLAGS[name])
        shown = ",".join(map(str, default)) if isinstance(default, (list, tuple)) else default
        if name == "sizes":
            spec["metavar"] = shown
        spec["help"] = (helps.get(name, spec["help"]).replace("{default}", str(shown))
                        .replace("{valid}", ", ".join(initializers.names())))
        parser.add_argument("--" + name.replace("_", "-"), default=default, **spec)


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; a network for MNIST-shaped data (either data set) must
    take the 784 pixels in and give the 10 classes out."""
    args = parser.parse_args(argv)
    sizes = getattr(args, "sizes", None)
    if sizes is not None and (sizes[0] != 784 or sizes[-1] != 10):
        parser.error(f"--sizes must start with 784 (pixels) and end with 10 (classes), "
                     f"got {sizes}")
    return args


def add_output_args(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("results") / name, metavar="DIR",
        help="output folder for records, figures and tables (created if needed). "
             "Default: %(default)s.")
    parser.add_argument(
        "--docs", default=None, metavar="PREFIX",
        help="also write the figure and table as PREFIX.png and PREFIX.md "
             "(for the README, e.g. docs/" + name + "). Default: not written.")


# --------------------------------------------------------------------------
# Records and atomic files
# --------------------------------------------------------------------------

def versions() -> dict[str, str]:
    """The versions a result depends on, stored in every record."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "code": code_version()}


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


def save_figure(fig, paths: Sequence[Path | str | None], dpi: int = 90) -> None:
    """Save a matplotlib figure as PNG to each path (skipping ``None``), atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    for path in paths:
        if path is not None:
            write_atomic(Path(path), buf.getvalue())


def write_outputs(out_png: Path, out_md: Path, docs: str | None, fig, table: str,
                  dpi: int = 90) -> None:
    """Write the figure and table to the output folder, and to ``docs`` if asked."""
    extra_png = extra_md = None
    if docs:
        extra_png, extra_md = Path(docs + ".png"), Path(docs + ".md")
    save_figure(fig, [out_png, extra_png], dpi=dpi)
    for path in (out_md, extra_md):
        if path is not None:
            write_text(path, table)
    for path in (out_png, out_md, extra_png, extra_md):
        if path is not None:
            progress(f"wrote {path}")


def publish(args: argparse.Namespace, name: str, fig, text: str, record: Any = None,
            dpi: int = 90) -> None:
    """The end of an experiment script: ``record`` (if any) as ``<name>.json``, the figure
    and the table as ``<name>.png`` and ``<name>.md`` in ``--out`` (and at
    ``--docs``), and the table on the standard output."""
    if record is not None:
        write_json(args.out / f"{name}.json", record)
    write_outputs(args.out / f"{name}.png", args.out / f"{name}.md", args.docs, fig, text,
                  dpi=dpi)
    print(text, flush=True)


def progress(message: str) -> None:
    """One line of progress, shown at once even from a pool worker."""
    print(message, flush=True)


# --------------------------------------------------------------------------
# Parallel runs
# --------------------------------------------------------------------------


def default_jobs() -> int:
    return os.cpu_count() or 1


def _exit_with_parent(parent: int) -> None:
    """Make this worker exit once the sweep that started it is gone.

    Ctrl-C reaches the workers too, but a ``kill`` of the sweep alone would
    leave them to finish their runs for nobody (and to compete with the
    rerun that resumes the sweep).  A finished run's record is written
    whole or not at all, so exiting at any moment loses nothing else."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def run_all(fn: Callable[[Any], Any], tasks: Sequence[Any], jobs: int) -> Iterator[Any]:
    """Yield ``fn(task)`` for every task, in order of completion.

    With ``jobs == 1`` the tasks run here, one after another.  Otherwise they go
    to ``jobs`` fresh (spawned) processes.  Each worker is limited to one BLAS
    thread: ``jobs`` workers each spawning as many BLAS threads as there are
    cores would fight over them.  The limit must be in the environment before
    numpy loads, so it is set here, in the parent, just before the workers are
    spawned (they inherit it), and restored afterwards.  ``fn`` must seed all its
    randomness from its task, so results do not depend on ``jobs``.
    """
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield fn(task)
        return
    saved = {name: os.environ.get(name) for name in _BLAS_ENV}
    os.environ.update({name: "1" for name in _BLAS_ENV})
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)),
                                 mp_context=get_context("spawn"),
                                 initializer=_exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(fn, task) for task in tasks]
            try:
                for future in as_completed(futures):
                    yield future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------
# Summaries and plots
# --------------------------------------------------------------------------


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def pct(mean: float, sd: float | None = None) -> str:
    """Accuracy fractions as percentages: ``95.12 ± 0.20``."""
    if sd is None:
        return f"{100 * mean:.2f}"
    return f"{100 * mean:.2f} ± {100 * sd:.2f}"


def plural(count: int, noun: str) -> str:
    """``plural(1, "epoch")`` is "1 epoch", ``plural(30, "epoch")`` "30 epochs"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def pyplot():
    """matplotlib's pyplot with a file-only backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def command_line(module: str, argv: Sequence[str]) -> str:
    """How a script was called, for the outputs' captions."""
    return shlex.join(["python", "-m", module, *argv])
