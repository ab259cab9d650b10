"""diagnostics.plot
~~~~~~~~~~~~~~~~

A report's figure: each layer's ``z`` over its activation curve, with the
saturated and dead zones shaded, and the gradient norm per layer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nndl.files import write_atomic

from .measures import SATURATION_LEVEL, activation, saturation_z
from .text import pct

if TYPE_CHECKING:
    from .report import Report


def plot_report(report: Report, path: Path) -> None:
    """Write ``report``'s figure to ``path`` (PNG), atomically."""
    from matplotlib.figure import Figure  # no pyplot: the user's backend is left alone

    L = len(report.layers)
    fig = Figure(figsize=(8, 1.9 * (L + 1) + 0.6))
    axes = fig.subplots(L + 1, 1)
    for ax, layer, z in zip(axes, report.layers, report.zs):
        act = activation(layer.activation)
        z = z[np.isfinite(z)].ravel()
        z_t = saturation_z(act.name)
        edge = max(8.0, 1.5 * (z_t or 4.0))
        lo, hi = (np.percentile(z, [0.5, 99.5]) if z.size else (-edge, edge))
        lo, hi = min(lo, -edge), max(hi, edge)
        ax.hist(np.clip(z, lo, hi), bins=np.linspace(lo, hi, 80), density=True,
                color="C0", alpha=0.6)
        ax.set_yticks([])
        if z_t is not None:
            ax.axvspan(lo, -z_t, color="grey", alpha=0.2, lw=0)
            ax.axvspan(z_t, hi, color="grey", alpha=0.2, lw=0)
        if act.dead_below is not None:
            ax.axvspan(lo, act.dead_below, color="red", alpha=0.08, lw=0)
        curve = ax.twinx()
        grid = np.linspace(lo, hi, 600)
        with np.errstate(all="ignore"):
            a = act.f(grid)
            curve.plot(grid, a / max(np.max(np.abs(a)), 1e-12), color="k", lw=1,
                       label=f"{act.name}(z)")
            curve.plot(grid, act.prime_from_output(a) / act.max_prime, color="k", ls="--", lw=1,
                       label=f"{act.name}'(z) / max")
        curve.legend(loc="upper left", fontsize=7, frameon=False)
        curve.set_yticks([])
        ax.set_xlim(lo, hi)
        state = (f"{pct(layer.saturated)} saturated" if layer.saturated is not None
                 else f"{layer.dead} of {layer.fan_out} dead")
        ax.set_title(f"layer {layer.index} ({layer.fan_in} -> {layer.fan_out}, "
                     f"{layer.activation}): z, {state}", fontsize=9)
    ax = axes[-1]
    index = np.arange(1, L + 1)
    for values, label, marker in (([layer.grad_b for layer in report.layers], "|dC/db|", "o"),
                                  ([layer.grad_w for layer in report.layers], "|dC/dw|", "s")):
        values = np.array(values, dtype=float)
        ax.plot(index, np.where(values > 0, values, np.nan), marker=marker, label=label)
    ax.set_yscale("log")
    ax.set_xticks(index)
    ax.set_xlabel("layer (a zero gradient is not drawn)")
    ax.set_title("gradient norm per layer", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
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
