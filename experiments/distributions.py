"""experiments.distributions
~~~~~~~~~~~~~~~~~~~~~~~~~~

What the initializers draw, for one 784-to-30 layer (the book's hidden layer).

``numpy.random.rand`` draws from U[0, 1): every weight positive, mean 1/2.
``numpy.random.randn`` draws from N(0, 1): mean 0, but a spread that does not
shrink with the number of inputs.  The Xavier (Glorot) schemes are centred on
0 with variance ``2 / (fan_in + fan_out)``, here about 0.0024, and the book's
chapter 3 scheme ``N(0, 1/fan_in)``.  Each histogram of the 23,520 drawn
weights has the theoretical density drawn over it.

    python -m experiments.distributions
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import numpy as np

import initializers
from experiments import cli, report

NAME = "distributions"
SCHEMES = ("rand", "randn", "xavier_uniform", "xavier_normal", "chapter3")


def density(init: str, fan_in: int, fan_out: int, x: np.ndarray) -> np.ndarray:
    """The theoretical density of one weight of scheme ``init`` at ``x``."""
    mean, var = initializers.get(init).weight_moments(fan_in, fan_out)
    if init in ("rand", "xavier_uniform"):
        # Uniform: mean +- sqrt(3 var) has the variance var.
        half = math.sqrt(3 * var)
        return np.where(np.abs(x - mean) <= half, 1 / (2 * half), 0.0)
    if init in ("randn", "xavier_normal", "chapter3"):
        return np.exp(-((x - mean) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)
    raise ValueError(f"no density for {init!r}; valid: {', '.join(SCHEMES)}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Histograms of the weights each scheme draws for one layer, with the "
                    "theoretical densities over them.")
    p.add_argument("--fan-in", type=cli.positive_int, default=784,
                   help="inputs of the layer. Default: %(default)s.")
    p.add_argument("--fan-out", type=cli.positive_int, default=30,
                   help="neurons of the layer. Default: %(default)s.")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws. Default: %(default)s.")
    cli.add_output_args(p, NAME)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    command = cli.command_line(f"experiments.{NAME}", argv)
    # One panel per scheme, stacked on one weight axis: the widths compare at
    # a glance (randn's spread is 20 times Xavier's here).
    fig, axes = report.subplots(len(SCHEMES), 1, 9, 1.45 * len(SCHEMES) + 1.2, sharex=True)
    draws = {}
    for init in SCHEMES:
        rng = np.random.default_rng(args.seed)
        draws[init] = initializers.get(init).weights(rng, (args.fan_out, args.fan_in), np.float64)
    reach = 1.05 * max(np.abs(w).max() for w in draws.values())
    grid = np.linspace(-reach, reach, 4001)
    rows = []
    for ax, (init, w) in zip(axes, draws.items()):
        mean, var = initializers.get(init).weight_moments(args.fan_in, args.fan_out)
        ax.hist(w.ravel(), bins=60, density=True, alpha=0.6, label="drawn (histogram)")
        ax.plot(grid, density(init, args.fan_in, args.fan_out, grid), "k", lw=1.2,
                label="the scheme's density")
        ax.set_yticks([])
        ax.set_ylabel(init, rotation=0, ha="right", va="center", fontsize=11)
        ax.text(0.995, 0.9, f"mean {mean:.3g}, sd {math.sqrt(var):.3g}", transform=ax.transAxes,
                ha="right", va="top")
        ax.grid(axis="x", alpha=0.3)
        rows.append([f"`{init}`", initializers.get(init).summary.split("  ")[0],
                     f"{mean:.4g} / {w.mean():.4g}", f"{var:.4g} / {w.var():.4g}",
                     f"{100 * np.mean(w > 0):.1f}"])
    axes[-1].set_xlim(-reach, reach)
    axes[-1].set_xlabel("weight (one axis for all: compare the widths)")
    report.legend_outside(fig, "lower center", ncols=2)
    fig.suptitle(f"The {args.fan_in * args.fan_out} weights of one {args.fan_in} -> "
                 f"{args.fan_out} layer, drawn by each scheme (seed {args.seed})")
    text = report.markdown_table(
        ["scheme", "rule", "mean: formula / drawn", "variance: formula / drawn", "% positive"],
        rows) + f"\n{report.made_by(command)}\n"
    report.publish(args, NAME, fig, text)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
