"""experiments.report
~~~~~~~~~~~~~~~~~~~~

What a finished experiment shows: summaries (mean ± sd, percentages),
markdown tables, matplotlib figures, and writing them to the output folder
and ``docs/results/``.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments.records import write_json, write_text
from nndl.files import write_bytes_atomic
from nndl.machine import describe, machine


def save_figure(fig, paths: Sequence[Path | str | None], dpi: int = 90) -> None:
    """Save a matplotlib figure as PNG to each path (skipping ``None``), atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    for path in paths:
        if path is not None:
            write_bytes_atomic(Path(path), buf.getvalue())


def write_outputs(out_png: Path, out_md: Path, docs: str | None, fig, table: str,
                  dpi: int = 90) -> None:
    """Write the figure and table to the output folder, and to ``docs`` if asked.
    The figure is then closed: pyplot keeps every figure it made until closed,
    and a process that publishes several (a test session) would pile them up."""
    extra_png = extra_md = None
    if docs:
        extra_png, extra_md = Path(docs + ".png"), Path(docs + ".md")
    save_figure(fig, [out_png, extra_png], dpi=dpi)
    pyplot().close(fig)
    for path in (out_md, extra_md):
        if path is not None:
            write_text(path, table)
    for path in (out_png, out_md, extra_png, extra_md):
        if path is not None:
            progress(f"wrote {path}")


def publish(args: argparse.Namespace, name: str, fig, text: str, record: Any = None,
            dpi: int = 90, docs_record: bool = False) -> None:
    """The end of an experiment script: ``record`` (if any) as ``<name>.json``, the figure
    and the table as ``<name>.png`` and ``<name>.md`` in ``--out`` (and at
    ``--docs``, with the record too when ``docs_record``: for a page that
    quotes figures the table leaves out), and the table on the standard output."""
    if record is not None:
        write_json(args.out / f"{name}.json", record)
        if docs_record and args.docs:
            write_json(Path(args.docs + ".json"), record)
    write_outputs(args.out / f"{name}.png", args.out / f"{name}.md", args.docs, fig, text,
                  dpi=dpi)
    print(text, flush=True)


def progress(message: str) -> None:
    """One line of progress, shown at once even from a pool worker.

    The line and its newline go out in one write: ``print`` writes them
    separately, and where the standard output writes through to the file at
    once (a worker process's may), two workers sharing a terminal or a pipe
    can then put a line of one between the line and the newline of the other
    (``...(0.03 s)[run 2/4 ...]``).  A single write of less than 4 KiB to a
    pipe is never split (POSIX's PIPE_BUF)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def shows_epoch(done: int, epochs: int, every: int = 10) -> bool:
    """Whether a run's progress line after epoch ``done`` (counted from 1) of
    ``epochs`` is printed: every ``every``-th and the last, so that a sweep of
    many short runs (the book's 35 configurations x 10 seeds) prints a few
    lines per run rather than one per epoch."""
    return done % every == 0 or done == epochs


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def pct(mean: float, sd: float | None = None) -> str:
    """Accuracy fractions as percentages: ``95.12 ± 0.20``."""
    if sd is None:
        return f"{100 * mean:.2f}"
    return f"{100 * mean:.2f} ± {100 * sd:.2f}"


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """A count and its noun, singular or plural: ``plural(1, "epoch")`` is
    "1 epoch", ``plural(10_000, "update")`` "10,000 updates",
    ``plural(2, "process", "processes")`` "2 processes"."""
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"


def machines(records: Iterable[dict]) -> list[str]:
    """The machines ``records`` were made on, each named once by
    :func:`nndl.machine.describe`, in order of first appearance."""
    names = [describe(r.get("versions", {}).get("machine")) for r in records]
    return list(dict.fromkeys(names))


def made_by(command: str, records: Iterable[dict] | None = None,
            names: Iterable[str] | None = None) -> str:
    """A caption's last sentence: the command that made it and the machine
    its numbers come from, ``Made by `python -m ...` on AMD EPYC, openblas
    0.3.31 (Haswell kernel, 1 thread), numpy 2.4.6.``  The machine is that of
    ``records`` (a sweep may reuse records made elsewhere: then each kind is
    named), or the machines ``names`` (:func:`machines` of records already
    summarized), or this one when neither is given.  Numbers repeat bit for
    bit only on the same kind of machine (``docs/reproducibility.md``)."""
    if names is not None:
        names = list(dict.fromkeys(names))
    else:
        names = [describe(machine())] if records is None else machines(records)
    if not names:  # no records at all
        return f"Made by `{command}`."
    if len(names) == 1:
        return f"Made by `{command}` on {names[0]}."
    return f"Made by `{command}` on {len(names)} kinds of machine: {'; '.join(names)}."


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# Type sizes (points) that stay legible when a docs page shows a figure at
# most about 850 pixels wide: the figures are 9 to 11 inches wide, so a point
# is about one pixel there, and 11 points is the least that reads well.
FONT_SIZES = {"font.size": 12, "axes.titlesize": 12, "axes.labelsize": 12,
              "xtick.labelsize": 11, "ytick.labelsize": 11, "legend.fontsize": 11,
              "legend.title_fontsize": 12, "figure.titlesize": 13}


def pyplot():
    """matplotlib's pyplot with a file-only backend (no display needed) and
    the project's type sizes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(FONT_SIZES)
    return plt


def subplots(rows: int, cols: int, width: float, height: float, **kwargs: Any):
    """``plt.subplots`` with constrained layout, which makes room for a
    suptitle and for legends placed outside the panels (``legend_outside``)."""
    plt = pyplot()
    return plt.subplots(rows, cols, figsize=(width, height), layout="constrained", **kwargs)


def legend_outside(fig, where: str = "right center", **kwargs: Any):
    """One legend for the whole figure, outside every panel, so that it can
    never hide a line: ``where`` is "right center" or "lower center" (an
    "upper" one would overlap the suptitle).  Handles and labels come from
    the panels unless given."""
    if "handles" not in kwargs:
        handles, labels = {}, []
        for ax in fig.axes:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in handles:
                    handles[label] = handle
                    labels.append(label)
        kwargs["handles"], kwargs["labels"] = [handles[label] for label in labels], labels
    return fig.legend(loc=f"outside {where}", **kwargs)

