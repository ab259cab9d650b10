"""Where the tests find the real datasets.

CI exports ``MNIST_DATA_DIR`` and ``FASHION_MNIST_DATA_DIR``.  A developer who
runs plain ``pytest`` gets the verified copies in ``../shared/data/`` beside the
checkout, when they are there.  Tests that need real data ask for the
``mnist_dir`` or ``fashion_mnist_dir`` fixture and are skipped, with the
reason, when it is absent: nothing is downloaded during the tests.

The fixtures are session-scoped, so pytest sets them up before any
function-scoped fixture: they read the environment before a test module's
autouse fixture (tests/test_mnist_loader.py's ``offline``) clears it.
"""

from pathlib import Path

import pytest

from experiments.datasets import ENV_VARS, real_data_dir, shared_data_dir


def _dir_or_skip(dataset: str) -> Path:
    folder = real_data_dir(dataset)
    if folder is None:
        pytest.skip(f"real {dataset} not found: set {ENV_VARS[dataset]} or put it in "
                    f"{shared_data_dir(dataset)}")
    return folder


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return _dir_or_skip("mnist")


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    return _dir_or_skip("fashion-mnist")
