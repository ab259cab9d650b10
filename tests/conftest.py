"""Where the tests find the real datasets.

CI exports ``MNIST_DATA_DIR`` and ``FASHION_MNIST_DATA_DIR``.  A developer who
runs plain ``pytest`` gets the verified copies in ``../shared/data/`` beside the
checkout, when they are there.  Tests that need real data ask for the
``mnist_dir`` or ``fashion_mnist_dir`` fixture and are skipped, with the
reason, when it is absent: nothing is downloaded during the tests.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
ENV = {"mnist": "MNIST_DATA_DIR", "fashion-mnist": "FASHION_MNIST_DATA_DIR"}


def real_data_dir(dataset: str) -> Path | None:
    """The folder holding ``dataset``'s four IDX files, or None."""
    env = os.environ.get(ENV[dataset])
    folder = Path(env) if env else SHARED / dataset
    return folder if (folder / "train-images-idx3-ubyte.gz").exists() else None


def _dir_or_skip(dataset: str) -> Path:
    folder = real_data_dir(dataset)
    if folder is None:
        pytest.skip(f"real {dataset} not found: set {ENV[dataset]} or put it in {SHARED / dataset}")
    return folder


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return _dir_or_skip("mnist")


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    return _dir_or_skip("fashion-mnist")
