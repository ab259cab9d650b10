"""diagnostics.cli
~~~~~~~~~~~~~~~

``python -m diagnostics``: diagnose a saved network or a fresh draw from a
shell.  Exit code 0: no finding is an error; 1: at least one is; 2: bad usage
or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

import initializers
import mnist_loader
import network

from . import userfile
from .data import DEFAULT_IMAGES
from .diagnosis import diagnose


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two positive comma-separated layer sizes such as 784,30,10, "
            f"got {text!r}")
    return sizes


def positive_int(text: str) -> int:
    """``"10"`` -> 10; anything but an integer >= 1 is an argparse error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive learning rate such as 3.0, "
                                         f"got {text!r}")
    return value


def _lmbda(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0 such as 5.0 (0 for "
                                         f"no L2 term), got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, checked: exactly one network to diagnose, and a
    fresh draw's sizes that fit MNIST (an argparse error otherwise)."""
    p = argparse.ArgumentParser(
        prog="python -m diagnostics",
        description="Diagnose a network: measure every layer on real images, check your own "
                    "code against the reference, name what stops it learning and how to fix "
                    "it, each fix tried on a copy first. Exit code 0: no finding is an error; "
                    "1: at least one is; 2: bad usage or unreadable input.")
    _network_arguments(p)
    _training_arguments(p)
    _output_arguments(p)
    args = p.parse_args(argv)
    if sum(x is not None for x in (args.file, args.init, args.code)) != 1:
        p.error("give one of: a saved network's FILE, --init NAME for a fresh network, or "
                "--code YOUR_FILE.py for your own class")
    if args.file is None and (args.sizes[0] != 784 or args.sizes[-1] != 10):
        p.error(f"--sizes must start with 784 (pixels) and end with 10 (classes), "
                f"got {args.sizes}")
    return args


def _network_arguments(p: argparse.ArgumentParser) -> None:
    """What to diagnose: a file, a fresh draw or the user's own class, and
    what it computes."""
    p.add_argument("file", nargs="?", help="a saved network (.npz or .json, this project's or "
                                           "the book's network2.save())")
    p.add_argument("--init", choices=initializers.names(), metavar="NAME",
                   help="diagnose a fresh network drawn from this scheme instead of a file. "
                        f"Valid: {', '.join(initializers.names())}.")
    p.add_argument("--code", default=None, metavar="PY",
                   help="diagnose your own network: import this Python file, build "
                        "CLASS(sizes), and check its feedforward, backprop and "
                        "update_mini_batch against the reference")
    p.add_argument("--class", dest="class_name", default="Network", metavar="CLASS",
                   help="with --code: the class to build. Default: %(default)s.")
    p.add_argument("--sizes", type=_sizes, default=[784, 30, 10], metavar="784,30,10",
                   help="with --init or --code: neurons per layer. Default: 784,30,10.")
    p.add_argument("--activation", choices=network.ACTIVATIONS, default=None,
                   help="the hidden layers' activation (for --code, when your class does not "
                        "say it in an `activation` attribute). Default: sigmoid.")
    p.add_argument("--cost", choices=network.COSTS, default=None,
                   help="the cost (for --code, when your class does not say it in a `cost` "
                        "attribute). Default: quadratic.")
    p.add_argument("--seed", type=int, default=0,
                   help="with --init or --code: the seed of the draw (for --code, of "
                        "numpy.random's global state while CLASS(sizes) runs). "
                        "Default: %(default)s.")


def _training_arguments(p: argparse.ArgumentParser) -> None:
    """How the user trains, and the images to measure on."""
    p.add_argument("--eta", type=_rate, default=None,
                   help="the learning rate you train with: copies that verify the fixes "
                        "train with it. Default: not checked (the book's rate for the cost).")
    p.add_argument("--mini-batch-size", type=positive_int, default=10,
                   help="the mini-batch size you train with. Default: %(default)s.")
    p.add_argument("--lmbda", type=_lmbda, default=0.0,
                   help="the L2 regularization parameter you train with (network2's "
                        "SGD(..., lmbda=5.0)): copies that verify the fixes train with it, and "
                        "with --eta the probe measures whether a smaller one learns clearly "
                        "more. Default: %(default)s (none).")
    p.add_argument("--n", type=positive_int, default=None,
                   help="with --lmbda: the size of your training set, n in the weight decay "
                        "1 - eta*lmbda/n per step (e.g. 50000). Default: the number of "
                        "examples diagnosed.")
    p.add_argument("--data", default=None, metavar="NPZ",
                   help="your own examples to measure on, instead of --dataset: an .npz file "
                        "with arrays X (n, 784) and y (labels (n,) or targets (n, 10)), as "
                        "np.savez('mine.npz', X=X, y=y) writes (all of it is used; nothing "
                        "in it is unpickled)")
    p.add_argument("--test-data", default=None, metavar="NPZ",
                   help="the examples you test on, in an .npz file as --data: a network that "
                        "answers them far worse than the training examples is checked for "
                        "test inputs prepared otherwise")
    p.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist",
                   help="the images to measure on. Default: %(default)s.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the dataset's files. Default: mnist_loader's search "
                        "($MNIST_DATA_DIR or $FASHION_MNIST_DATA_DIR, its cache, a download).")
    p.add_argument("--images", type=positive_int, default=DEFAULT_IMAGES,
                   help="how many training images (the first ones). Default: %(default)s.")


def _output_arguments(p: argparse.ArgumentParser) -> None:
    """How to print the report, and where to draw its figure."""
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--wide", action="store_true",
                   help="print one wide table and one line per paragraph (default: at most "
                        "100 columns)")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="also draw z per layer over its activation, and the gradient norms")


def _network(args: argparse.Namespace) -> Any:
    """What to diagnose: the file's path, a fresh draw, or the user's class
    built from ``--code``."""
    if args.file is not None:
        return args.file
    if args.init is not None:
        return network.Network(args.sizes, args.init, seed=args.seed,
                               activation=args.activation or "sigmoid",
                               cost=args.cost or "quadratic")
    return userfile.build(args.code, args.class_name, args.sizes, args.seed)


def read_data(path: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from an ``.npz`` file that ``np.savez(path, X=X, y=y)``
    wrote.  Read without unpickling (``allow_pickle=False``): an array of
    Python objects is refused, since unpickling can run code.  Raises
    ``ValueError`` naming what was found and how to write the file."""
    how = f"write it with np.savez({path!r}, X=X, y=y), X of float or integer pixels"
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as error:  # not an .npy/.npz, or pickled objects inside
        raise ValueError(f"{path}: not readable as numpy arrays ({error}); {how}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: holds one array, not X and y; {how}")
    with loaded:
        if not {"X", "y"} <= set(loaded.files):
            raise ValueError(f"{path}: expected arrays named X and y, found "
                             f"{', '.join(loaded.files) or 'none'}; {how}")
        try:
            return loaded["X"], loaded["y"]
        except ValueError as error:  # an object array
            raise ValueError(f"{path}: {error}; {how}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        net = _network(args)
        data = None if args.data is None else read_data(args.data)
        test_data = None if args.test_data is None else read_data(args.test_data)
        report = diagnose(net, data, eta=args.eta, mini_batch_size=args.mini_batch_size,
                          test_data=test_data,
                          lmbda=args.lmbda, n=args.n,
                          activation=args.activation if args.init is None else None,
                          cost=args.cost if args.init is None else None,
                          dataset=args.dataset, data_dir=args.data_dir, images=args.images)
        if args.plot:
            report.plot(args.plot)
    except userfile.CodeError as error:  # the user's file: one line naming the problem
        print(f"python -m diagnostics: error: {error}", file=sys.stderr)
        return 2
    except mnist_loader.DataError as error:  # in this command's words: --data-dir, not data_dir=
        print(f"python -m diagnostics: error: {error.for_command_line()}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError, KeyError) as error:
        print(f"python -m diagnostics: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, allow_nan=False))
    else:
        print(report.text(wide=args.wide), end="")
        if args.plot:
            print(f"wrote {args.plot}")
    return 1 if report.errors else 0
