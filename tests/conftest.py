"""Where the tests find the real datasets.

The tests look where the product looks, without downloading:
``$MNIST_DATA_DIR`` / ``$FASHION_MNIST_DATA_DIR``, else the cache
``data/<dataset>/``.  CI (``.ci/run``) sets the variables to its copies.
Tests that need real data ask for the ``mnist_dir`` or ``fashion_mnist_dir``
fixture and are skipped, with the reason and the variable to set, when the
files are absent: nothing is downloaded during the tests.

The fixtures are session-scoped, so pytest sets them up before any
function-scoped fixture: they read the environment before a test module's
autouse fixture (tests/test_mnist_loader.py's ``offline``) clears it.
"""

from pathlib import Path

import pytest

from experiments.datasets import ENV_VARS, real_data_dir
from mnist_loader import CACHE_DIR, DataNotFoundError


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
