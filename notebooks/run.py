"""Build and execute the notebook from its plain-script source.

``why_rand_fails.py`` (jupytext's percent format) is the source that is
reviewed and edited; ``why_rand_fails.ipynb`` is made from it, executed, and
committed with its outputs so that it renders on a code-hosting site:

    python notebooks/run.py                      # all 50,000 training images
    NNDL_NOTEBOOK_TRAIN=10000 python notebooks/run.py --out /tmp/nb.ipynb

The kernel is ipykernel's ``python3``, the one every virtual environment with
ipykernel has; it inherits this process's environment (``$MNIST_DATA_DIR``,
``NNDL_NOTEBOOK_TRAIN``).  Needs the ``dev`` extra (jupytext, nbclient,
nbformat, ipykernel).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "why_rand_fails.py"
NOTEBOOK = HERE / "why_rand_fails.ipynb"
KERNEL = "python3"


def build(source: Path = SOURCE):
    """The notebook of ``source``'s cells, without outputs (an nbformat node)."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb


def execute(nb, timeout: float = 300):
    """Run every cell in a fresh ``python3`` kernel started in this folder;
    raise ``nbclient.exceptions.CellExecutionError`` on the first error."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python notebooks/run.py", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=NOTEBOOK,
                   help="where to write the executed notebook. Default: %(default)s.")
    args = p.parse_args(argv)
    import nbformat

    sys.path.insert(0, str(HERE.parent))
    from nndl.files import write_atomic

    nb = execute(build())
    text = nbformat.writes(nb) + "\n"
    write_atomic(args.out, lambda f: f.write(text.encode()))
    print(f"wrote {args.out} ({len(text.encode()) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
