"""experiments.diagnoses
~~~~~~~~~~~~~~~~~~~~~

The three worked cases of docs/diagnostics.md, end to end, each diagnosed at
the learning rate it trains with, so that every check and probe runs and
every fix is tried on a copy before it is printed:

1. a newcomer's own class with ``np.random.rand`` weights and biases, at
   eta = 3.0 (the question this project started from);
2. the book's ``Network([784, 30, 10])`` at eta = 100;
3. a newcomer's own class whose ``cost_derivative`` returns
   ``y - output_activations``, at eta = 3.0;
4. ``Network([784, 300, 10], "xavier_normal")`` at the book's eta = 3.0: a
   healthy draw whose wider layer makes the book's rate too large;
5. the book's chapter 3 ``network2.Network([784, 30, 10])`` at its eta = 0.5
   with lmbda = 5000 for n = 50,000 (the book's is 5.0): a weight decay of
   0.95 per step.

The classes are :mod:`experiments.their_network`'s; numpy's global generator
is seeded (``--seed``) while they draw, so the output repeats.  Writes the
five reports (``diagnoses.md``) and their JSON.

    python -m experiments.diagnoses --docs docs/results/diagnoses
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import diagnostics
import network
import network2
from diagnostics.userfile import construct
from experiments import cli, records, report, their_network

NAME = "diagnoses"
SIZES = [784, 30, 10]


def cases(seed: int) -> list[tuple[str, str, object, float, dict]]:
    """``(title, the code that builds it, network, eta, diagnose's other
    keywords)`` for each case."""
    return [
        ("Your own class with np.random.rand weights and biases, at eta = 3.0",
         "net = RandNetwork([784, 30, 10])  # experiments/their_network.py",
         construct(their_network.RandNetwork, SIZES, seed), 3.0, {}),
        ("The book's network at eta = 100",
         f"net = network.Network([784, 30, 10], seed={seed})",
         network.Network(SIZES, seed=seed), 100.0, {}),
        ("Your own class whose cost_derivative returns y - output_activations, at eta = 3.0",
         "net = FlippedCostDerivative([784, 30, 10])  # experiments/their_network.py",
         construct(their_network.FlippedCostDerivative, SIZES, seed), 3.0, {}),
        ("A wider hidden layer, 300 neurons, xavier_normal, at the book's eta = 3.0",
         f"net = network.Network([784, 300, 10], \"xavier_normal\", seed={seed})",
         network.Network([784, 300, 10], "xavier_normal", seed=seed), 3.0, {}),
        ("The book's chapter 3 network with lmbda = 5000 for n = 50,000, at eta = 0.5",
         f"net = network2.Network([784, 30, 10], seed={seed})",
         network2.Network(SIZES, seed=seed), 0.5, {"lmbda": 5000.0, "n": 50_000}),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{NAME}",
        description="Diagnose the guide's five cases (a rand class, the book's network at "
                    "eta 100, a sign error in cost_derivative, a wider layer at the book's "
                    "eta 3, network2 with lmbda 5000) with every check and probe.")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the draws (numpy's global generator for the classes). "
                        "Default: %(default)s.")
    cli.add_data_args(p)
    cli.add_output_args(p, NAME, docs=(".md",))
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    sample = diagnostics.load_sample(args.dataset, args.data_dir)
    command = cli.command_line(f"experiments.{NAME}", argv)
    parts, found = [], {}
    for k, (title, code, net, eta, kw) in enumerate(cases(args.seed), 1):
        diagnosis = diagnostics.diagnose(net, sample, eta=eta, **kw)
        found[title] = diagnosis.to_dict()
        parts.append(f"## {k}. {title}\n\n```python\n{code}\n"
                     f"print(diagnostics.diagnose(net, eta={eta:g}"
                     f"{''.join(f', {k}={v:g}' for k, v in kw.items())}))\n```\n\n"
                     f"```text\n{diagnosis}```\n")
        report.progress(f"case {k}: cause {diagnosis.cause.name if diagnosis.cause else None}")
    text = "\n".join(parts) + f"\n{report.made_by(command)}\n"
    records.write_json(args.out / f"{NAME}.json", {"command": command,
                                                    "versions": records.versions(),
                                                    "reports": found})
    for folder, prefix in ((args.out, args.out / NAME), (args.docs, args.docs)):
        if folder is not None:
            records.write_text(Path(f"{prefix}.md"), text)
            report.progress(f"wrote {prefix}.md")
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    cli.main_guard(main)
