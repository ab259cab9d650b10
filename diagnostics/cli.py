"""diagnostics.cli
~~~~~~~~~~~~~~~

``python -m diagnostics``: diagnose a saved network or a fresh draw from a
shell.  Exit code 0: no finding is an error; 1: at least one is; 2: bad usage
or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import initializers
import mnist_loader
import network

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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m diagnostics",
        description="Diagnose a network: measure every layer on real images, name what stops "
                    "it learning and how to fix it. Exit code 0: no finding is an error; 1: "
                    "at least one is; 2: bad usage or unreadable input.")
    p.add_argument("file", nargs="?", help="a saved network (.npz or .json, this project's or "
                                           "the book's network2.save())")
    p.add_argument("--init", choices=initializers.names(), metavar="NAME",
                   help="diagnose a fresh network drawn from this scheme instead of a file. "
                        f"Valid: {', '.join(initializers.names())}.")
    p.add_argument("--sizes", type=_sizes, default=[784, 30, 10], metavar="784,30,10",
                   help="with --init: neurons per layer. Default: 784,30,10.")
    p.add_argument("--activation", choices=network.ACTIVATIONS, default="sigmoid",
                   help="with --init: the hidden layers' activation. Default: %(default)s.")
    p.add_argument("--cost", choices=network.COSTS, default="quadratic",
                   help="with --init: the cost. Default: %(default)s.")
    p.add_argument("--seed", type=int, default=0,
                   help="with --init: the seed of the draw. Default: %(default)s.")
    p.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist",
                   help="the images to measure on. Default: %(default)s.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the dataset's files. Default: mnist_loader's search "
                        "($MNIST_DATA_DIR or $FASHION_MNIST_DATA_DIR, its cache, a download).")
    p.add_argument("--images", type=_positive, default=DEFAULT_IMAGES,
                   help="how many training images (the first ones). Default: %(default)s.")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="also draw z per layer over its activation, and the gradient norms")
    args = p.parse_args(argv)
    if (args.file is None) == (args.init is None):
        p.error("give a saved network's FILE, or --init NAME for a fresh network (not both)")
    if args.file is None and (args.sizes[0] != 784 or args.sizes[-1] != 10):
        p.error(f"--sizes must start with 784 (pixels) and end with 10 (classes), "
                f"got {args.sizes}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.file is not None:
            net: Any = args.file
        else:
            net = network.Network(args.sizes, args.init, seed=args.seed,
                                  activation=args.activation, cost=args.cost)
        report = diagnose(net, dataset=args.dataset, data_dir=args.data_dir,
                          images=args.images)
        if args.plot:
            report.plot(args.plot)
    except mnist_loader.DataError as error:  # in this command's words: --data-dir, not data_dir=
        print(f"python -m diagnostics: error: {error.for_command_line()}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError, KeyError) as error:
        print(f"python -m diagnostics: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, allow_nan=False))
    else:
        print(report)
        if args.plot:
            print(f"wrote {args.plot}")
    return 1 if report.errors else 0

