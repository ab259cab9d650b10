"""diagnostics.plot
~~~~~~~~~~~~~~~~

A report's figure: each layer's ``z`` over its activation curve, with the
saturated and dead zones shaded, and the gradient norm per layer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nndl.files import write_atomic

from .measures import SATURATION_LEVEL, activation, saturation_z
from .text import pct

if TYPE_CHECKING:
    from .report import LayerReport, Report


def plot_report(report: Report, path: Path) -> None:
    """Write ``report``'s figure to ``path`` (PNG), atomically."""
    from matplotlib.figure import Figure  # no pyplot: the user's backend is left alone

    L = len(report.layers)
    fig = Figure(figsize=(8, 1.9 * (L + 1) + 0.6))
    axes = fig.subplots(L + 1, 1)
    for ax, layer, z in zip(axes, report.layers, report.zs):
        _plot_layer(ax, layer, z)
    _plot_gradients(axes[-1], report.layers)
    fig.suptitle(f"{report.source}, {report.sizes}: grey saturated ({report.activation}' "
                 f"< {SATURATION_LEVEL:.0%} of max), red dead; black f(z) and f'(z) scaled",
                 fontsize=8)
    # Margins in inches, by hand (tight_layout would draw the figure twice): room
    # for the title above, the x label below and the log scale's labels at left.
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.75 / 8, right=0.98, top=1 - 0.7 / height,
                        bottom=0.5 / height, hspace=0.6)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    write_atomic(path, lambda f: f.write(buffer.getvalue()))


def _z_range(z: np.ndarray, z_t: float | None) -> tuple[float, float]:
    """The x range of a layer's panel: the middle 99% of its finite ``z``,
    widened to show the saturated zones beyond ``+-z_t`` (or +-8)."""
    edge = max(8.0, 1.5 * (z_t or 4.0))
    lo, hi = (np.percentile(z, [0.5, 99.5]) if z.size else (-edge, edge))
    return min(lo, -edge), max(hi, edge)


def _plot_layer(ax: Any, layer: LayerReport, z: np.ndarray) -> None:
    """One layer's panel: the histogram of its ``z``, the saturated (grey) and
    dead (red) zones, and its activation and derivative on a twin axis."""
    act = activation(layer.activation)
    z = z[np.isfinite(z)].ravel()
    z_t = saturation_z(act.name)
    lo, hi = _z_range(z, z_t)
    ax.hist(np.clip(z, lo, hi), bins=np.linspace(lo, hi, 80), density=True,
            color="C0", alpha=0.6)
    ax.set_yticks([])
    if z_t is not None:
        ax.axvspan(lo, -z_t, color="grey", alpha=0.2, lw=0)
        ax.axvspan(z_t, hi, color="grey", alpha=0.2, lw=0)
    if act.dead_below is not None:
        ax.axvspan(lo, act.dead_below, color="red", alpha=0.08, lw=0)
    _plot_curves(ax.twinx(), act, lo, hi)
    ax.set_xlim(lo, hi)
    state = (f"{pct(layer.saturated)} saturated" if layer.saturated is not None
             else f"{layer.dead} of {layer.fan_out} dead")
    ax.set_title(f"layer {layer.index} ({layer.fan_in} -> {layer.fan_out}, "
                 f"{layer.activation}): z, {state}", fontsize=9)


def _plot_curves(curve: Any, act: Any, lo: float, hi: float) -> None:
    """``act``'s f(z) and f'(z) over ``[lo, hi]``, each scaled to a maximum of 1."""
    grid = np.linspace(lo, hi, 600)
    with np.errstate(all="ignore"):
        a = act.f(grid)
        curve.plot(grid, a / max(np.max(np.abs(a)), 1e-12), color="k", lw=1,
                   label=f"{act.name}(z)")
        # The softmax has no derivative of its own: its error is a - y.
        prime = np.ones_like(a) if act.prime is None else act.prime(a)
        curve.plot(grid, prime / act.max_prime, color="k", ls="--", lw=1,
                   label=f"{act.name}'(z) / max")
    curve.legend(loc="upper left", fontsize=7, frameon=False)
    curve.set_yticks([])


def _plot_gradients(ax: Any, layers: list[LayerReport]) -> None:
    """The last panel: each layer's |dC/db| and |dC/dw| on a log scale."""
    index = np.arange(1, len(layers) + 1)
    for values, label, marker in (([layer.grad_b for layer in layers], "|dC/db|", "o"),
                                  ([layer.grad_w for layer in layers], "|dC/dw|", "s")):
        values = np.array(values, dtype=float)
        ax.plot(index, np.where(values > 0, values, np.nan), marker=marker, label=label)
    ax.set_yscale("log")
    ax.set_xticks(index)
    ax.set_xlabel("layer (a zero gradient is not drawn)")
    ax.set_title("gradient norm per layer", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
