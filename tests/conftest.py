"""Where the tests find the real datasets.

The tests look where the product looks, without downloading:
``$MNIST_DATA_DIR`` / ``$FASHION_MNIST_DATA_DIR``, else the cache
``data/<dataset>/``.  CI (``.ci/run``) sets the variables to its copies.
Tests that need real data ask for the ``mnist_dir`` or ``fashion_mnist_dir``
fixture and are skipped, with the reason and the variable to set, when the
files are absent: nothing is downloaded during the tests.

The fixtures are session-scoped, so pytest sets them up before any
function-scoped fixture: they read the environment before ``offline``
clears it.
"""

import socket
from pathlib import Path

import pytest

from experiments.datasets import ENV_VARS, real_data_dir
from mnist_loader import CACHE_DIR, DataNotFoundError
from nndl import datasets, locate


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No data anywhere and no network: the mirrors point at a closed local
    port, the cache at an empty temporary folder (``tmp_path / "cache"``),
    and the environment names no data folder."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    # Patched where they are read: nndl.datasets and nndl.locate (mnist_loader re-exports them).
    monkeypatch.setattr(datasets, "MIRRORS", {d: (dead,) for d in datasets.DATASETS})
    monkeypatch.setattr(locate, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(locate, "SYSTEM_DIRS", {d: () for d in datasets.DATASETS})
    for var in datasets.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)


def _dir_or_skip(dataset: str) -> Path:
    try:
        folder = real_data_dir(dataset)
    except DataNotFoundError as e:  # the variable names a folder that does not exist
        pytest.skip(f"real {dataset} not found: {e}")
    if folder is None:
        pytest.skip(f"real {dataset} not found: set {ENV_VARS[dataset]} to a folder holding "
                    f"its four IDX files (or put them in {CACHE_DIR / dataset})")
    return folder


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return _dir_or_skip("mnist")


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    return _dir_or_skip("fashion-mnist")
