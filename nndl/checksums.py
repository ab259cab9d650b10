"""nndl.checksums
~~~~~~~~~~~~~~~

The loader checks what matters, the data: the SHA-256 of each file's
*uncompressed* content.  Good copies of MNIST differ in their gzip headers
(a timestamp, a file name), so a checksum of the ``.gz`` would reject good
files.  A file whose checksum is another canonical file's (Fashion-MNIST's
in the MNIST folder, the test images under the training images' name) is
named for what it is.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nndl import datasets
from nndl.errors import DataError

# Every canonical file this loader knows, by the SHA-256 of its content, so
# that a file in the wrong place can be named: "Fashion-MNIST's t10k-...".
KNOWN_FILES = {sha: (dataset, name) for dataset, files in datasets.SHA256.items()
               for name, sha in files.items()}


def known_file(sha256: str) -> str | None:
    """The canonical file with this SHA-256 of its uncompressed content, as
    "MNIST's t10k-images-idx3-ubyte", or None if it is none of them."""
    if sha256.lower() not in KNOWN_FILES:
        return None
    dataset, name = KNOWN_FILES[sha256.lower()]
    return f"{datasets.TITLES[dataset]}'s {name}"


def check_sha256(data: bytes, expected: str, path: Path | str, own_data: bool = True) -> None:
    """Refuse ``data`` unless its SHA-256 is ``expected`` (see ``check_digest``)."""
    check_digest(hashlib.sha256(data).hexdigest(), expected, str(path), own_data)


def check_digest(got: str, expected: str, what: str, own_data: bool = True) -> None:
    """Refuse content whose SHA-256 ``got`` is not ``expected``, saying what
    the content is when it is another canonical file.  ``own_data``: the
    Python message mentions ``verify=False`` (not for a download, which is
    always checked).  Raises DataError."""
    if got == expected.lower():
        return
    actual, wanted = known_file(got), known_file(expected)
    if actual is not None:
        text = (f"{what}: checksum mismatch: this is {actual}, not "
                f"{wanted or 'the file expected here'}.  Move it to where it belongs and put "
                f"{wanted or 'the right file'} here")
    else:
        text = (f"{what}: checksum mismatch: the SHA-256 of its uncompressed content is {got}, "
                f"expected {expected}{f' ({wanted})' if wanted else ''}.  The file is damaged "
                "or is not the file its name says; replace it")
    hint = " (or pass verify=False for data of your own)" if own_data else ""
    raise DataError(text + hint + ".", text + ".")
