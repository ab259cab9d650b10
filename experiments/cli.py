"""experiments.cli
~~~~~~~~~~~~~~~~~

The command line every experiment script shares: argument types that reject
bad input before any training starts, and the flags several scripts share
(data, training settings, outputs).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import initializers
import mnist_loader
import network
from diagnostics.cli import positive_int
from experiments import runner
from experiments.datasets import DATASETS
from nndl.checks import listed

# The exit status of a script stopped by its input: a bad flag (argparse's
# own status), or data that is missing or not what it should be.
USAGE_ERROR = 2


def main_guard(main: Callable[[], int]) -> NoReturn:
    """Run a script's ``main()`` and exit with its status: every script's
    ``if __name__ == "__main__"`` calls this.

    Missing or bad data is the user's input, not a bug, so it ends the
    script as a bad flag does: the loader's message in the command line's
    words (``--data-dir``, not ``data_dir=``), no traceback, status 2."""
    try:
        status = main()
    except mnist_loader.DataError as e:
        print(f"error: {e.for_command_line()}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
    raise SystemExit(status)


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


def comma_items(text: str, what: str, end_comma: bool = False) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``: the items of a comma-separated flag,
    stripped, each a ``what`` (singular).  No item at all, or an empty one
    (``"a,,b"``, ``",a"``, ``"a,"``), is an error that says so: an empty item
    is more likely a typo than a wish to be ignored.  With ``end_comma``, one
    comma at the end is allowed (``--seeds 5,`` is the list of one seed 5)."""
    items = [s.strip() for s in text.split(",")]
    if end_comma and len(items) > 1 and items[-1] == "":
        items.pop()
    if not any(items):
        raise argparse.ArgumentTypeError(f"expected at least one {what}, got {text!r}")
    if "" in items:
        raise argparse.ArgumentTypeError(
            f"{text!r} has an empty item (two commas in a row, or a comma at either end): "
            f"expected {what}s separated by single commas")
    return items


def layer_sizes(text: str) -> list[int]:
    """``"784,30,10"`` -> ``[784, 30, 10]``."""
    items = comma_items(text, "layer size")
    try:
        sizes = [int(s) for s in items]
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
    return choices(text, "initializer", initializers.names())


def choices(text: str, what: str, valid: Sequence[str]) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``, distinct items of :func:`comma_items`,
    each one of ``valid``; else an argparse error naming the valid ones."""
    names = comma_items(text, what)
    for name in names:
        if name not in valid:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {name!r}; valid: {', '.join(valid)}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a {what} is named twice in {text!r}")
    return names


def seed_list(text: str) -> list[int]:
    """``"3"`` -> seeds ``[0, 1, 2]``; ``"4,7"`` or ``"5,"`` -> exactly those seeds."""
    try:
        if "," not in text:
            count = int(text)
            if count < 1:
                raise ValueError
            return list(range(count))
        seeds = [int(s) for s in comma_items(text, "seed", end_comma=True)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seeds (3 means seeds 0,1,2) or a list such as 4,7 "
            f"(a single seed as 5,), got {text!r}") from None
    if min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct seeds >= 0, got {text!r}")
    return seeds


def existing_folder(text: str) -> str:
    """A folder that must exist: one the user names is never created."""
    path = Path(text).expanduser()
    if not path.is_dir():
        problem = "is not a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(
            f"{text} {problem}; a folder named here is never created: check the path")
    return text


def scheduler_address(text: str) -> str:
    """``--scheduler``: ``local`` or the form of a Dask scheduler's address
    (:func:`experiments.runner.check_scheduler_address`), checked before
    anything connects."""
    try:
        return runner.check_scheduler_address(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", choices=DATASETS, default="mnist",
        help="which data to use: the book's MNIST digits or Fashion-MNIST (same format, "
             "harder). Default: %(default)s.")
    parser.add_argument(
        "--data-dir", type=existing_folder, default=None, metavar="DIR",
        help="an existing folder holding the four IDX files (*-ubyte.gz, gzipped or not) "
             "or, for MNIST, the book's mnist.pkl.gz or mnist.pkl. Default: $MNIST_DATA_DIR "
             "($FASHION_MNIST_DATA_DIR), else the cache data/<dataset>/, else a download "
             "into that cache.")


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


# ``--jobs`` of a script whose runs go through the sweep backend (``add_sweep_args``).
SWEEP_JOBS_HELP = ("runs trained at once, one process each (with --scheduler local, the Dask "
                   "workers). The results do not depend on it. Default: the number of cores "
                   "(%(default)s).")


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


def add_sweep_args(parser: argparse.ArgumentParser) -> None:
    """The flags that choose where a sweep's runs train (see
    :mod:`experiments.runner`); ``--jobs`` comes from :func:`add_training_args`."""
    parser.add_argument(
        "--scheduler", type=scheduler_address, default=None, metavar="ADDRESS|local",
        help="train the runs on a Dask cluster: the tcp:// address that a running `dask "
             "scheduler` prints (e.g. tcp://10.0.0.5:8786; not its dashboard's http:// one), "
             "or 'local' for a LocalCluster of --jobs worker "
             "processes on this machine. Needs " + runner.INSTALL + ". Records are written "
             "here, as on the local pool. Default: the local process pool.")
    parser.add_argument(
        "--data-from", choices=runner.DATA_FROM, default="client",
        help="with --scheduler, how the workers get the data: 'client' sends it from here "
             "once per worker; 'workers' has each worker read it from its own disk "
             "(--data-dir if given, else its $MNIST_DATA_DIR). Default: %(default)s.")


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; ``--quick`` without ``--out`` writes to ``results/NAME-quick``;
    a network for MNIST-shaped data (either data set) must
    take the 784 pixels in and give the 10 classes out, and every initializer
    of ``--inits`` must be able to initialize it (:func:`drop_unfit`).  ``--scheduler``
    without Dask installed exits with one line that says what to install."""
    args = parser.parse_args(argv)
    if getattr(args, "quick", False) and getattr(args, "out", None) == parser.get_default("out"):
        args.out = args.out.with_name(f"{args.out.name}-quick")  # beside the full run's
    if getattr(args, "scheduler", None) is not None:
        try:
            runner.require_distributed()
        except runner.ClusterError as e:
            parser.exit(2, f"{parser.prog}: error: {e}\n")
    elif getattr(args, "data_from", "client") != "client":
        print(f"{parser.prog}: warning: --data-from {args.data_from} has no effect without "
              f"--scheduler (the local pool's workers read the files here)", file=sys.stderr)
    sizes = getattr(args, "sizes", None)
    if sizes is not None and (sizes[0] != 784 or sizes[-1] != 10):
        parser.error(f"--sizes must start with 784 (pixels) and end with 10 (classes), "
                     f"got {sizes}")
    if sizes is not None and getattr(args, "inits", None) is not None:
        args.inits = drop_unfit(parser, args)
    return args


def drop_unfit(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """``args.inits`` without the registered schemes that cannot initialize a
    network of ``args.sizes`` (``identity`` needs square weight matrices):
    found before any training, by drawing each distinct weight shape once.
    Named, such a scheme is an error in one line (the scheme's own message);
    with ``--inits all`` (every registered scheme) it is left out, with a
    note on the standard error.  Names not in the registry (a script's own,
    such as ``lsuv``) are left to the script."""
    shapes = list(dict.fromkeys(zip(args.sizes[1:], args.sizes[:-1])))  # layer order
    unfit = {}
    for init in args.inits:
        for shape in shapes if init in initializers.names() else []:
            try:
                initializers.get(init).weights(np.random.default_rng(0), shape)
            except ValueError as err:
                unfit[init] = str(err)
                break
    if unfit and not set(initializers.names()) <= set(args.inits):
        parser.error(" ".join(unfit.values()))
    for init, why in unfit.items():
        print(f"--inits all: {init} left out: {why}", file=sys.stderr)
    return [init for init in args.inits if init not in unfit]


def add_sweep_script_args(parser: argparse.ArgumentParser, name: str,
                          docs: Sequence[str] = (".png", ".md"), quick: bool = False) -> None:
    """The flags a sweep script ends with, in this order: ``--jobs`` (the
    pool's processes), where the runs train (:func:`add_sweep_args`), the
    data (:func:`add_data_args`) and the outputs (:func:`add_output_args`)."""
    add_training_args(parser, jobs=runner.default_jobs(), helps={"jobs": SWEEP_JOBS_HELP})
    add_sweep_args(parser)
    add_data_args(parser)
    add_output_args(parser, name, docs, quick)


def add_output_args(parser: argparse.ArgumentParser, name: str,
                    docs: Sequence[str] = (".png", ".md"), quick: bool = False) -> None:
    """``--out`` and ``--docs``; ``docs`` are the endings of the files the
    script writes at ``--docs PREFIX`` (PREFIX.png and PREFIX.md unless it
    says otherwise), so that the help names each.  With ``quick`` (the script
    has ``--quick``), a quick run's default folder is ``results/NAME-quick``
    (:func:`parse_args`), so that a first look never writes over the table
    and figure of a full run."""
    files = [f"PREFIX{ending}" for ending in docs]
    also = f" ({Path('results') / name}-quick with --quick)" if quick else ""
    parser.add_argument(
        "--out", type=Path, default=Path("results") / name, metavar="DIR",
        help=f"output folder for records, figures and tables (created if needed). "
             f"Default: %(default)s{also}.")
    parser.add_argument(
        "--docs", default=None, metavar="PREFIX",
        help=f"also write {listed(files)} (for the docs pages, e.g. "
             f"docs/results/{name}). Default: not written.")


# The flags that choose where the runs train, not what they compute: left out
# of the captions, with the shortest abbreviation argparse accepts for each
# (the scripts also have --seed(s), --sizes and --data-dir).
_BACKEND_FLAGS = {"--scheduler": "--sc", "--data-from": "--data-f"}


def command_line(module: str, argv: Sequence[str]) -> str:
    """How a script was called, for the outputs' captions, without the flags
    that only choose the backend (``--scheduler X``, ``--data-from X``): the
    numbers do not depend on them, and a scheduler's address is private."""
    kept: list[str] = []
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
            continue
        name, has_value, _ = arg.partition("=")
        if any(flag.startswith(name) and name.startswith(shortest)
               for flag, shortest in _BACKEND_FLAGS.items()):
            skip_value = not has_value
            continue
        kept.append(arg)
    return shlex.join(["python", "-m", module, *kept])

