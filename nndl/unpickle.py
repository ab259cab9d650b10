"""nndl.unpickle
~~~~~~~~~~~~~~

A pickle is a program, and ``pickle.load`` runs it: a tampered file could
do anything (Python docs, ``pickle``: "Warning: The pickle module is not
secure").  ``unpickle_arrays`` reads a pickle of numpy arrays with an
unpickler that knows only how to *describe* arrays: every global the file
names resolves to a harmless stand-in or is refused, and the arrays are
built afterwards with ``np.frombuffer`` from plain numeric dtypes only.
"""

from __future__ import annotations

import io
import math
import pickle
from pathlib import Path

import numpy as np

from nndl.errors import DataError


class _DTypeSpec:
    """Stands in for ``numpy.dtype`` while unpickling: records the request."""

    def __init__(self, spec: object, align: object = 0, copy: object = 1) -> None:
        self.spec = spec
        self.byteorder = "="

    def __setstate__(self, state: tuple) -> None:
        self.byteorder = state[1] if len(state) > 1 else "="


class _ArraySpec:
    """Stands in for ``numpy.ndarray`` while unpickling: records the shape,
    dtype and raw bytes from which the array is built afterwards."""

    def __init__(self, cls: object = None, shape: object = (0,), typecode: object = b"b") -> None:
        self.state: tuple = ()

    def __setstate__(self, state: tuple) -> None:
        self.state = state


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(text, "latin1").
    if encoding not in ("latin1", "latin-1"):
        raise DataError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names numpy's array pickles use,
    to harmless stand-ins; every other global is refused (DataError)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _ArraySpec,
        ("numpy._core.multiarray", "_reconstruct"): _ArraySpec,
        ("numpy", "ndarray"): _ArraySpec,
        ("numpy", "dtype"): _DTypeSpec,
        ("_codecs", "encode"): _latin1_encode,
    }

    def __init__(self, data: bytes, path: Path) -> None:
        # latin1: the book's file was written by Python 2, whose byte
        # strings this decodes one byte to one character, losslessly.
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise DataError(
                f"{self.path}: refusing to unpickle {module}.{name}: this file holds more "
                "than numpy arrays, so it is not the book's mnist.pkl.gz (it may be "
                "malicious)"
            ) from None


def unpickle_arrays(data: bytes, path: Path) -> object:
    """The structure (tuples, lists, numbers) and numpy arrays the pickle
    ``data`` (read from ``path``) holds; DataError for anything else."""
    try:
        return build(ArrayUnpickler(data, path).load(), path)
    except DataError:
        raise
    except Exception as e:  # a malformed pickle can fail in many ways
        raise DataError(f"{path}: not a valid pickle of MNIST arrays ({e!r})") from None


# Only plain numbers: an object dtype would let raw bytes become pointers.
PICKLE_DTYPES = {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"}


def build(obj: object, path: Path) -> object:
    """Replace the stand-ins in an unpickled structure by real arrays."""
    if isinstance(obj, tuple | list):
        return type(obj)(build(item, path) for item in obj)
    if not isinstance(obj, _ArraySpec):
        return obj
    shape, dtype, fortran, raw = _array_state(obj.state, path)
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        raise DataError(f"{path}: array of shape {shape} needs {count * dtype.itemsize} bytes, "
                        f"pickle holds {len(raw)}")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), order="C")  # a writable copy


def _array_state(state: tuple, path: Path) -> tuple[tuple, np.dtype, object, bytes]:
    """The shape, dtype, Fortran flag and bytes of an ndarray's pickled
    state, ``(version, shape, dtype, is_fortran, data)`` (numpy's
    ``ndarray.__reduce__``; older pickles omit the version)."""
    if len(state) == 5:
        state = state[1:]
    if len(state) != 4:
        raise DataError(f"{path}: unexpected array state in pickle")
    shape, spec, fortran, raw = state
    if (not isinstance(spec, _DTypeSpec) or spec.spec not in PICKLE_DTYPES
            or spec.byteorder not in ("<", ">", "|", "=")):
        raise DataError(f"{path}: refusing an array of dtype {getattr(spec, 'spec', spec)!r}")
    dtype = np.dtype(spec.spec).newbyteorder(spec.byteorder if spec.byteorder != "|" else "=")
    if isinstance(raw, str):
        raw = raw.encode("latin1")
    if not isinstance(raw, bytes) or not isinstance(shape, tuple):
        raise DataError(f"{path}: unexpected array data in pickle")
    return shape, dtype, fortran, raw
