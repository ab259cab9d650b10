"""nndl-init against a PyTorch CPU training loop of the same network.

One epoch of ``[784, 30, 10]`` (sigmoid, quadratic
cost, eta 3.0, float64) on 10,000 MNIST-shaped examples, at mini-batch 10
and 100, in the same run: nndl-init's ``SGD`` beside the usual PyTorch loop
(``nn.Sequential`` of ``Linear`` and ``Sigmoid``, ``torch.optim.SGD``, loss
``0.5 * sum((a - y)**2) / m``, batches gathered by indexing), starting from
the same weights and visiting the examples in the same order, so both
compute the same numbers (the largest weight difference after the epoch is
printed).  PyTorch gets as many threads as numpy's BLAS has
(``torch.set_num_threads``).  Targets: nndl-init at least 3x faster at
mini-batch 10, no slower at mini-batch 100.

PyTorch is not a dependency: without it the comparison is skipped.

    python -m benchmarks.torch_compare [--quick] [--rounds 5]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

import network
from benchmarks import common

SIZES = [784, 30, 10]
ETA = 3.0
TARGETS = {10: 3.0, 100: 1.0}  # mini-batch size: least speed-up over PyTorch


def torch_model(torch, net: network.Network):
    layers = []
    for w, b in zip(net.weights, net.biases):
        linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b.ravel()))
        layers += [linear, torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers)


def torch_epoch(torch, model, X, Y, order, m: int) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=ETA)
    for k in range(0, len(order), m):
        batch = order[k:k + m]
        optimizer.zero_grad()
        a = model(X[batch])
        loss = 0.5 * ((a - Y[batch]) ** 2).sum() / len(batch)
        loss.backward()
        optimizer.step()


def run(argv: Sequence[str] | None = None) -> int:
    p = common.parser("torch_compare", __doc__.split("\n")[0], data=False)
    args = common.parse(p, argv)
    try:
        import torch
    except ImportError:
        print("torch_compare: PyTorch is not installed; the comparison is skipped")
        return common.SKIPPED
    threads = common.blas_threads() or common.cores()
    torch.set_num_threads(threads)
    rounds = args.rounds or (1 if args.quick else 5)
    n = 1000 if args.quick else 10_000
    contenders, setup, weight_difference = _contenders(torch, n)
    for fn in contenders.values():  # warm up: PyTorch's first calls set things up
        setup()
        fn()
    t = common.race(contenders, rounds, setup)
    diff = weight_difference()
    rows, ok = _rows(t, torch.__version__)
    common.print_results(f"nndl-init against PyTorch (CPU, {threads} thread(s)), {SIZES}, "
                         f"float64, {n:,} examples", common.command("torch_compare", argv), t,
                         rows, "against PyTorch")
    print(f"largest weight difference after one epoch at mini-batch 10: {diff:.1e}")
    return common.status(ok)


def _contenders(torch, n: int) -> tuple[dict[str, Callable[[], object]], Callable[[], None],
                                        Callable[[], float]]:
    """The epochs to race at each mini-batch size on ``n`` synthetic
    examples; the untimed setup (the same starting weights and order for
    both); and a check that both compute the same numbers: the largest
    weight difference after one more epoch of each at mini-batch 10."""
    X, y = common.synthetic(n)
    Y = np.zeros((n, common.N_OUT))
    Y[np.arange(n), y] = 1.0
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    state: dict = {}

    def setup() -> None:
        net = network.Network(SIZES, seed=0)
        state["model"] = torch_model(torch, net)
        state["net"] = net
        state["order"] = torch.from_numpy(_order(net, n))

    def weight_difference() -> float:
        setup()
        state["net"].SGD((X, y), 1, 10, ETA, verbose=False)
        torch_epoch(torch, state["model"], Xt, Yt, state["order"], 10)
        return max(float(np.abs(layer.weight.detach().numpy() - w).max())
                   for layer, w in zip(state["model"][::2], state["net"].weights))

    contenders = {}
    for m in TARGETS:
        contenders[f"nndl-init, mini-batch {m}"] = \
            lambda m=m: state["net"].SGD((X, y), 1, m, ETA, verbose=False)
        contenders[f"PyTorch {torch.__version__}, mini-batch {m}"] = \
            lambda m=m: torch_epoch(torch, state["model"], Xt, Yt, state["order"], m)
    return contenders, setup, weight_difference


def _rows(t: dict[str, common.Timing], version: str) -> tuple[list[tuple], bool]:
    """PyTorch's time / ours at each mini-batch size against ``TARGETS``."""
    rows, ok = [], True
    for m, target in TARGETS.items():
        ratio = t[f"PyTorch {version}, mini-batch {m}"].best / t[f"nndl-init, mini-batch {m}"].best
        ok = ok and ratio >= target
        rows.append((f"PyTorch / nndl-init, mini-batch {m}", f"{ratio:.2f}x", f">= {target:g}",
                     common.verdict(ratio >= target)))
    return rows, ok


def _order(net: network.Network, n: int) -> np.ndarray:
    """The order ``net.SGD`` will visit the examples in, without using up its generator."""
    import copy

    return copy.deepcopy(net.rng).permutation(n)


if __name__ == "__main__":
    sys.exit(run())
