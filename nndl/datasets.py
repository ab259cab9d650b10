"""nndl.datasets
~~~~~~~~~~~~~

The table of what the loader knows: the two datasets, their four canonical
files, the SHA-256 of each file's uncompressed content, the mirrors that
serve them, and the environment variable naming a folder that holds them.

MNIST: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of
handwritten digits" (yann.lecun.com/exdb/mnist).  Fashion-MNIST: H. Xiao,
K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms" (arXiv:1708.07747), the same
format and sizes.  data/README.md lists the sources and the checksums.
"""

from __future__ import annotations

DATASETS = ("mnist", "fashion-mnist")

TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

# The four canonical files, by name, in the order load_arrays returns them.
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# SHA-256 of the *uncompressed* IDX content.  These are the official files'
# values (see data/README.md); they do not depend on how a copy was gzipped.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte":
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte":
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte":
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte":
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# Public mirrors of the canonical .gz files, tried in order.  Each URL is a
# folder: the file's name plus ".gz" is appended.
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}

ENV_VARS = {"mnist": "MNIST_DATA_DIR", "fashion-mnist": "FASHION_MNIST_DATA_DIR"}

# The book's file: MNIST already split 50,000 / 10,000 / 10,000, as float32
# pixel / 256; gzipped as the book ships it, or unzipped as tutorials leave it.
PICKLE_NAMES = ("mnist.pkl.gz", "mnist.pkl")
BOOK_SPLIT = (50_000, 10_000, 10_000)


def dataset_name(dataset: str) -> str:
    """The canonical spelling of ``dataset`` ("MNIST", "fashion_mnist" ...
    are accepted); ValueError for a name not in ``DATASETS``."""
    name = dataset.lower().replace("_", "-") if isinstance(dataset, str) else None
    if name not in DATASETS:
        raise ValueError(
            f"unknown dataset {dataset!r}: expected one of {DATASETS} (to read the files "
            "from a folder, pass data_dir=folder)"
        )
    return name
