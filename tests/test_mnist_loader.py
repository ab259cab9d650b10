"""Tests for mnist_loader: IDX files, checksums, downloads, the book's
pickle, and the real data when it is present.

Everything but the real-data tests runs on small files generated here,
and downloads are served from 127.0.0.1: no test touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import pickle
import socket
import struct
import threading
import tracemalloc
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import mnist_loader
import nndl.checksums as checksums_module
from mnist_loader import DataError, DataNotFoundError
from nndl import locate
from nndl.idx import read_content

N_TRAIN, N_TEST = 30, 10


# Every test here is off the network and out of the project's data/
# (conftest.py's ``offline``).
pytestmark = pytest.mark.usefixtures("offline")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#### Small generated datasets


def make_dataset(folder: Path, gz: bool = True, seed: int = 0) -> dict[str, str]:
    """Write the four files of a tiny MNIST-shaped dataset into ``folder``;
    return the SHA-256 of each file's uncompressed content."""
    rng = np.random.default_rng(seed)
    content = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, N_TEST, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for name, array in content.items():
        path = mnist_loader.write_idx(folder / (name + (".gz" if gz else "")), array)
        checksums[name] = hashlib.sha256(read_content(path)).hexdigest()
    return checksums


def idx_bytes(array: np.ndarray) -> bytes:
    return header(0x08, array.shape) + array.astype(np.uint8).tobytes()


def header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)


#### IDX round trip and header checks


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, ">i2", np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path: Path, gz: bool, dtype: str) -> None:
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(dtype)
    path = mnist_loader.write_idx(tmp_path / ("a.idx" + (".gz" if gz else "")), array)
    back = mnist_loader.read_idx(path)
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == gz


def test_idx_header_is_canonical(tmp_path: Path) -> None:
    path = mnist_loader.write_idx(tmp_path / "x", np.zeros((3, 28, 28), np.uint8))
    assert path.read_bytes()[:16] == bytes.fromhex("00000803" "00000003" "0000001c" "0000001c")


def test_read_idx_checks_sha256(tmp_path: Path) -> None:
    path = mnist_loader.write_idx(tmp_path / "x.gz", np.arange(5, dtype=np.uint8))
    good = hashlib.sha256(idx_bytes(np.arange(5))).hexdigest()
    assert mnist_loader.read_idx(path, sha256=good).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(DataError, match=f"x.gz: checksum mismatch.*{good[:8]}"):
        mnist_loader.read_idx(path, sha256="0" * 64)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\0\0", "too short"),
        (b"\x12\x34\x08\x01" + b"\0\0\0\1" + b"\0", "bad IDX magic number 0x12340801"),
        (b"\0\0\x07\x01" + b"\0\0\0\1" + b"\0", "bad IDX magic number 0x00000701"),
        (b"\0\0\x08\x03" + b"\0\0\0\1", "truncated IDX header"),
        (header(0x08, (10, 28, 28)) + bytes(9 * 784), r"truncated: .*\(10, 28, 28\).*7840.*7056"),
        (header(0x08, (3,)) + bytes(4), "has extra bytes"),
        (header(0x0C, (3,)) + bytes(11), "needs 12 bytes"),
    ],
)
def test_parse_idx_refuses_bad_files(data: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        mnist_loader.parse_idx(data, "some-file")
    assert str(info.value).startswith("some-file: ")


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    path = mnist_loader.write_idx(tmp_path / "x.gz", np.zeros((50, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match="x.gz: gzip data ends early"):
        mnist_loader.read_idx(path)


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    data = bytearray(gzip.compress(idx_bytes(np.arange(100)), mtime=0))
    data[-8] ^= 0xFF  # the CRC
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="x.gz: corrupt gzip data"):
        mnist_loader.read_idx(path)


def test_multi_member_gzip(tmp_path: Path) -> None:
    data = idx_bytes(np.arange(100))
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(data[:50]) + gzip.compress(data[50:]) + b"\0\0")
    assert mnist_loader.read_idx(path).tolist() == list(range(100))


#### Loading a generated dataset


@pytest.mark.parametrize("gz", [True, False])
def test_load_arrays_generated(tmp_path: Path, gz: bool) -> None:
    checksums = make_dataset(tmp_path, gz=gz)
    raw = mnist_loader.load_arrays(data_dir=tmp_path, dtype=np.uint8, checksums=checksums)
    images = mnist_loader.read_idx(tmp_path / ("train-images-idx3-ubyte" + ".gz" * gz))
    np.testing.assert_array_equal(raw.train_images, images.reshape(N_TRAIN, 784))
    a = mnist_loader.load_arrays(data_dir=tmp_path, checksums=checksums)
    assert a.train_images.shape == (N_TRAIN, 784) and a.test_images.shape == (N_TEST, 784)
    assert a.train_images.dtype == np.float64 and a.train_images.flags.c_contiguous
    assert a.train_labels.dtype == np.int64 and a.train_labels.shape == (N_TRAIN,)
    np.testing.assert_array_equal(a.train_images, raw.train_images / 255)
    assert 0.0 <= a.train_images.min() and a.train_images.max() <= 1.0
    a32 = mnist_loader.load_arrays(data_dir=tmp_path, dtype=np.float32, verify=False)
    assert a32.test_images.dtype == np.float32
    np.testing.assert_allclose(a32.test_images, a.test_images, rtol=1e-7)


def test_canonical_checksums_refuse_other_data(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    with pytest.raises(DataError, match="checksum mismatch") as info:
        mnist_loader.load_arrays(data_dir=tmp_path)
    message = str(info.value)
    assert "-ubyte.gz: checksum mismatch" in message
    assert "verify=False" in message
    assert any(sha in message for sha in mnist_loader.SHA256["mnist"].values())


def test_load_data_generated(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    training, validation, test = mnist_loader.load_data(
        data_dir=tmp_path, verify=False, validation_size=10
    )
    arrays = mnist_loader.load_arrays(data_dir=tmp_path, verify=False)
    assert training[0].shape == (20, 784) and validation[0].shape == (10, 784)
    np.testing.assert_array_equal(training[1], arrays.train_labels[:20])
    np.testing.assert_array_equal(validation[0], arrays.train_images[20:])
    np.testing.assert_array_equal(test[0], arrays.test_images)
    # The split is made of views of one array, not copies.
    assert training[0].base is not None and training[0].base is validation[0].base
    with pytest.raises(DataError, match="cannot hold out 30"):
        mnist_loader.load_data(data_dir=tmp_path, verify=False, validation_size=30)


def test_load_data_wrapper_generated(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    training, validation, test = mnist_loader.load_data_wrapper(
        data_dir=tmp_path, verify=False, validation_size=10
    )
    (tr_x, tr_y), _, (te_x, te_y) = mnist_loader.load_data(
        data_dir=tmp_path, verify=False, validation_size=10
    )
    assert all(isinstance(d, list) for d in (training, validation, test))
    assert (len(training), len(validation), len(test)) == (20, 10, 10)
    x, y = training[3]
    assert x.shape == (784, 1) and y.shape == (10, 1)
    np.testing.assert_array_equal(x[:, 0], tr_x[3])
    np.testing.assert_array_equal(y, mnist_loader.vectorized_result(int(tr_y[3])))
    x, y = test[4]
    assert x.shape == (784, 1) and type(y) is int and y == te_y[4]
    np.testing.assert_array_equal(x[:, 0], te_x[4])
    assert type(validation[0][1]) is int
    # No copy per image: every column is a view of one block.
    assert training[0][0].base is not None and training[0][0].base is training[1][0].base
    f32 = mnist_loader.load_data_wrapper(
        data_dir=tmp_path, verify=False, validation_size=10, dtype=np.float32
    )
    assert f32[0][0][0].dtype == np.float32 and f32[0][0][1].dtype == np.float32


def gzipped_images(tmp_path: Path, data: bytes) -> Path:
    """Replace the generated training images by ``data``, gzipped."""
    make_dataset(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (N_TRAIN * 784 - 1, "train-images-idx3-ubyte.gz: truncated: its header says shape"),
        (N_TRAIN * 784 + 1, "train-images-idx3-ubyte.gz: has extra bytes"),
    ],
)
def test_gzipped_images_with_wrong_length(tmp_path: Path, pixels: int, message: str) -> None:
    gzipped_images(tmp_path, header(0x08, (N_TRAIN, 28, 28)) + bytes(pixels))
    with pytest.raises(DataError, match=message):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_gzipped_images_with_huge_header(tmp_path: Path) -> None:
    # A damaged count must not make the loader allocate terabytes.
    gzipped_images(tmp_path, header(0x08, (2**32 - 1, 28, 28)) + bytes(N_TRAIN * 784))
    with pytest.raises(DataError, match=r"truncated: its header says shape \(4294967295, 28, 28"):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_truncated_gzipped_images(tmp_path: Path) -> None:
    path = gzipped_images(tmp_path, header(0x08, (N_TRAIN, 28, 28)) + bytes(N_TRAIN * 784))
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: gzip data ends early"):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_multi_member_gzipped_images(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = read_content(path)
    path.write_bytes(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    images = mnist_loader.load_arrays(data_dir=tmp_path, verify=False).train_images
    np.testing.assert_array_equal(images.ravel(), np.frombuffer(data, np.uint8)[16:] / 255)


def test_wrong_counts_are_refused(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    mnist_loader.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(N_TEST - 1, np.uint8))
    with pytest.raises(DataError, match=f"holds {N_TEST} images but .*holds {N_TEST - 1} labels"):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_mislabelled_file_is_refused(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    mnist_loader.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros(N_TEST, np.uint8))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: expected images.*0x00000803"):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_float_images_are_refused(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    mnist_loader.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((N_TEST, 28, 28)))
    with pytest.raises(DataError, match="expected images, .*unsigned bytes.*holds >f8"):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_labels_must_be_digits(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    mnist_loader.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(N_TEST, 10, np.uint8))
    with pytest.raises(DataError, match="labels must be digits 0-9"):
        mnist_loader.load_arrays(data_dir=tmp_path, verify=False)


def test_truncated_file_in_dataset(tmp_path: Path) -> None:
    make_dataset(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-784])
    with pytest.raises(DataError, match="train-images-idx3-ubyte: truncated"):
        mnist_loader.load_data(data_dir=tmp_path, verify=False, validation_size=10)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        mnist_loader.load_arrays("cifar")
    with pytest.raises(ValueError, match="pass data_dir=folder"):
        mnist_loader.load_data(tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dtype must be"):
        mnist_loader.load_arrays(data_dir=tmp_path, dtype=np.int32)


def test_every_option_reaches_load_arrays(tmp_path: Path) -> None:
    """load_data and load_data_wrapper pass each keyword on to load_arrays
    (one signature); a misspelt one is refused, not ignored."""
    sums = make_dataset(tmp_path)
    options = dict(dtype=np.float32, verify=True, download=False, verbose=False,
                   checksums=sums, mirrors=[])
    (x, _), (xv, _), _ = mnist_loader.load_data(data_dir=tmp_path, validation_size=5, **options)
    assert x.dtype == np.float32 and len(xv) == 5
    training, validation, _ = mnist_loader.load_data_wrapper("mnist", tmp_path,
                                                             validation_size=5, **options)
    assert training[0][0].dtype == np.float32 and len(validation) == 5
    with pytest.raises(TypeError, match="dtyp"):
        mnist_loader.load_data_wrapper(data_dir=tmp_path, dtyp=np.float32)


def test_public_names_still_import_from_mnist_loader() -> None:
    """What moved into nndl/ is still importable from mnist_loader."""
    for name in mnist_loader.__all__:
        assert getattr(mnist_loader, name) is not None, name


#### Where the files are looked for


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """data_dir, else the environment variable, else the project's cache."""

    def loaded_from(folder: Path, *args: object) -> bool:
        labels = mnist_loader.load_arrays(*args, verify=False).test_labels
        return np.array_equal(labels, mnist_loader.read_idx(folder / "t10k-labels-idx1-ubyte.gz"))

    cache, env, explicit = (locate.CACHE_DIR / "fashion-mnist", tmp_path / "env",
                            tmp_path / "explicit")
    for seed, folder in enumerate((cache, env, explicit)):
        make_dataset(folder, seed=seed)
    assert loaded_from(cache, "fashion-mnist")
    monkeypatch.setenv("FASHION_MNIST_DATA_DIR", str(env))
    assert loaded_from(env, "fashion-mnist")
    assert loaded_from(explicit, "fashion_mnist", explicit)
    # Fashion-MNIST's variable and cache are not MNIST's.
    with pytest.raises(DataNotFoundError):
        mnist_loader.load_arrays("mnist", verify=False, download=False)


def test_not_found_says_what_where_and_how(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    mnist_loader.write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(DataNotFoundError) as info:
        mnist_loader.load_data(data_dir=folder, download=False)
    message = str(info.value)
    assert "missing train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz" in message
    assert f"{folder}  (the data_dir argument; has 1 of the 4 files)" in message
    assert "MNIST_DATA_DIR=" in message and "data_dir=" in message and "copy them into" in message


def test_no_network_error(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        mnist_loader.load_data_wrapper(verbose=False)
    message = str(info.value)
    assert "missing train-images-idx3-ubyte.gz" in message
    assert str(locate.CACHE_DIR / "mnist") in message
    assert "Download failed:" in message and "127.0.0.1" in message
    assert "$MNIST_DATA_DIR is not set" in message
    # Nothing half-written, and no empty folder left that looks like a place the data went.
    assert not locate.CACHE_DIR.exists()


#### A folder the user names is never created


@pytest.mark.parametrize("call", [
    lambda d: mnist_loader.load_data_wrapper(data_dir=d),
    lambda d: mnist_loader.load_data(data_dir=d, download=False),
    lambda d: mnist_loader.load_arrays("fashion-mnist", d),
    lambda d: mnist_loader.download(data_dir=d),
    lambda d: mnist_loader.find_data(data_dir=d),
])
def test_named_folder_that_does_not_exist(tmp_path: Path, call) -> None:
    folder = tmp_path / "no" / "such" / "dir"
    with pytest.raises(DataNotFoundError, match=f"{folder} does not exist \\(named by the "
                                                "data_dir argument\\)") as info:
        call(folder)
    assert "never created" in str(info.value)
    assert "--data-dir" in info.value.for_command_line()
    assert not (tmp_path / "no").exists()
    assert not locate.CACHE_DIR.exists()  # nor downloaded elsewhere instead


def test_named_folder_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"")
    with pytest.raises(DataNotFoundError, match="is not a folder"):
        mnist_loader.load_data(data_dir=path)


def test_environment_folder_that_does_not_exist(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped $FASHION_MNIST_DATA_DIR is reported, not skipped in favour
    of the cache or a download."""
    make_dataset(locate.CACHE_DIR / "fashion-mnist")
    monkeypatch.setenv("FASHION_MNIST_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(DataNotFoundError,
                       match=r"typo does not exist \(named by \$FASHION_MNIST_DATA_DIR\).*"
                             r"unset FASHION_MNIST_DATA_DIR"):
        mnist_loader.load_arrays("fashion-mnist", verify=False)
    assert not (tmp_path / "typo").exists()


#### A file that is another canonical file is named


def test_known_file_names_every_canonical_file() -> None:
    for dataset, files in mnist_loader.SHA256.items():
        for name, sha in files.items():
            title = mnist_loader.TITLES[dataset]
            assert mnist_loader.known_file(sha.upper()) == f"{title}'s {name}"
    assert len(mnist_loader.KNOWN_FILES) == 8
    assert mnist_loader.known_file("0" * 64) is None


def test_misplaced_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With generated files standing in for two data sets' canonical files:
    one set's test labels in the other's folder under a training name."""
    mine, other = tmp_path / "mine", tmp_path / "other"
    sums, other_sums = make_dataset(mine, seed=1), make_dataset(other, seed=2)
    known = {sums[n]: ("mnist", n) for n in sums} | \
        {other_sums[n]: ("fashion-mnist", n) for n in other_sums}
    monkeypatch.setattr(checksums_module, "KNOWN_FILES", known)
    # Fashion-MNIST's (stand-in's) training images in the MNIST folder.
    (mine / "train-images-idx3-ubyte.gz").write_bytes(
        (other / "train-images-idx3-ubyte.gz").read_bytes())
    with pytest.raises(DataError) as info:
        mnist_loader.load_arrays(data_dir=mine, checksums=sums)
    assert ("train-images-idx3-ubyte.gz: checksum mismatch: this is Fashion-MNIST's "
            "train-images-idx3-ubyte, not MNIST's train-images-idx3-ubyte") in str(info.value)
    # The same data set's test labels under the training labels' name (uncompressed).
    make_dataset(mine, seed=1)
    (mine / "train-labels-idx1-ubyte.gz").unlink()
    (mine / "train-labels-idx1-ubyte").write_bytes(
        read_content(mine / "t10k-labels-idx1-ubyte.gz"))
    with pytest.raises(DataError, match="this is MNIST's t10k-labels-idx1-ubyte, not MNIST's "
                                        "train-labels-idx1-ubyte"):
        mnist_loader.load_arrays(data_dir=mine, checksums=sums)


def test_misplaced_file_in_a_download(tmp_path: Path, server: Server,
                                      published: dict[str, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A mirror that serves the wrong canonical file: refused, and named."""
    monkeypatch.setattr(checksums_module, "KNOWN_FILES",
                        {sha: ("mnist", name) for name, sha in published.items()})
    server.files["/good/t10k-images-idx3-ubyte.gz"] = server.files[
        "/good/train-images-idx3-ubyte.gz"]
    with pytest.raises(DataNotFoundError, match="this is MNIST's train-images-idx3-ubyte, not "
                                                "MNIST's t10k-images-idx3-ubyte"):
        mnist_loader.download(data_dir=tmp_path, mirrors=[server.url + "/good/"],
                              checksums=published, verbose=False)


def test_real_misplaced_files(mnist_dir: Path, fashion_mnist_dir: Path) -> None:
    """The real files, each checked as another one (read_idx runs the same
    check as the loader; the label files are small, so this is quick)."""
    mnist, fashion = locate.idx_paths(mnist_dir), locate.idx_paths(fashion_mnist_dir)
    sums = mnist_loader.SHA256
    with pytest.raises(DataError, match="this is Fashion-MNIST's train-labels-idx1-ubyte, not "
                                        "MNIST's train-labels-idx1-ubyte"):
        mnist_loader.read_idx(fashion["train-labels-idx1-ubyte"],
                              sums["mnist"]["train-labels-idx1-ubyte"])
    with pytest.raises(DataError, match="this is MNIST's t10k-labels-idx1-ubyte, not "
                                        "Fashion-MNIST's train-labels-idx1-ubyte"):
        mnist_loader.read_idx(mnist["t10k-labels-idx1-ubyte"],
                              sums["fashion-mnist"]["train-labels-idx1-ubyte"])


#### Downloads, from a server on 127.0.0.1


class Server:
    """A tiny HTTP server in a thread.  ``files`` maps a URL path to the
    bytes served; paths in ``drop`` get their headers and half their
    bytes, then the connection is closed."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.drop: set[str] = set()
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.path in server.drop:
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                else:
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def published(tmp_path: Path, server: Server) -> dict[str, str]:
    """A generated dataset served under /good/; returns its checksums."""
    source = tmp_path / "source"
    checksums = make_dataset(source)
    for path in source.iterdir():
        server.files[f"/good/{path.name}"] = path.read_bytes()
    return checksums


def no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".") or "part" in p.name]


def test_download_success(tmp_path: Path, server: Server, published: dict[str, str],
                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "downloaded"
    target.mkdir()
    got = mnist_loader.download(data_dir=target, mirrors=[server.url + "/good/"],
                                checksums=published)
    assert got == target
    assert sorted(p.name for p in target.iterdir()) == sorted(f + ".gz" for f in mnist_loader.FILES)
    assert "100%" in capsys.readouterr().err
    a = mnist_loader.load_arrays(data_dir=target, checksums=published)
    assert a.train_images.shape == (N_TRAIN, 784)
    # Files already there are not fetched again.
    server.requests.clear()
    mnist_loader.download(data_dir=target, mirrors=[server.url + "/good/"], checksums=published)
    assert server.requests == []


def test_load_downloads_into_cache(server: Server, published: dict[str, str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    training, _, _ = mnist_loader.load_data_wrapper(
        mirrors=[server.url + "/good/"], checksums=published, validation_size=10, verbose=False
    )
    assert len(training) == N_TRAIN - 10
    assert len(list((locate.CACHE_DIR / "mnist").glob("*-ubyte.gz"))) == 4
    assert capsys.readouterr().err == ""  # verbose=False is quiet


def test_download_falls_back_to_next_mirror(tmp_path: Path, server: Server,
                                            published: dict[str, str]) -> None:
    mirrors = [f"http://127.0.0.1:{closed_port()}/", server.url + "/missing/",
               server.url + "/good/"]
    target = mnist_loader.download(data_dir=tmp_path, mirrors=mirrors, checksums=published,
                                   verbose=False)
    assert len(list(target.glob("*.gz"))) == 4
    assert "/missing/train-images-idx3-ubyte.gz" in server.requests


def test_download_dropped_connection(tmp_path: Path, server: Server,
                                     published: dict[str, str]) -> None:
    server.drop.add("/good/t10k-images-idx3-ubyte.gz")
    target = tmp_path
    with pytest.raises(DataNotFoundError) as info:
        mnist_loader.download(data_dir=target, mirrors=[server.url + "/good/"],
                              checksums=published, verbose=False, timeout=5)
    message = str(info.value)
    assert "missing t10k-images-idx3-ubyte.gz" in message
    assert "/good/t10k-images-idx3-ubyte.gz: " in message
    assert not (target / "t10k-images-idx3-ubyte.gz").exists()
    assert no_partial_files(target)


def test_download_dropped_then_next_mirror(tmp_path: Path, server: Server,
                                           published: dict[str, str]) -> None:
    server.files["/flaky/train-images-idx3-ubyte.gz"] = server.files[
        "/good/train-images-idx3-ubyte.gz"]
    server.drop.add("/flaky/train-images-idx3-ubyte.gz")
    target = mnist_loader.download(data_dir=tmp_path, verbose=False, checksums=published,
                                   mirrors=[server.url + "/flaky/", server.url + "/good/"])
    assert len(list(target.glob("*.gz"))) == 4 and no_partial_files(target)


def test_download_checksum_mismatch(tmp_path: Path, server: Server,
                                    published: dict[str, str]) -> None:
    # The mirror serves the test labels under the training labels' name.
    server.files["/good/train-labels-idx1-ubyte.gz"] = server.files[
        "/good/t10k-labels-idx1-ubyte.gz"]
    target = tmp_path
    with pytest.raises(DataNotFoundError) as info:
        mnist_loader.download(data_dir=target, mirrors=[server.url + "/good/"],
                              checksums=published, verbose=False)
    message = str(info.value)
    assert "train-labels-idx1-ubyte.gz: checksum mismatch" in message
    assert published["train-labels-idx1-ubyte"] in message
    assert "verify=False" not in message  # downloads are checked whatever verify says
    assert not (target / "train-labels-idx1-ubyte.gz").exists()  # refused and removed
    assert (target / "train-images-idx3-ubyte.gz").exists()  # the good one stays
    assert no_partial_files(target)


def refuse_every_url(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Every download fails with ``error`` before a byte arrives."""
    def urlopen(url: str, timeout: float = 0) -> object:
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


@pytest.mark.parametrize("error, raised", [
    (urllib.error.URLError("no network (a test)"), DataNotFoundError),
    (KeyboardInterrupt(), KeyboardInterrupt),
])
def test_failed_download_leaves_no_empty_folder(monkeypatch: pytest.MonkeyPatch,
                                                error: BaseException, raised: type) -> None:
    """The cache folders the download made (here data/ and data/mnist/) are
    removed again when it fails or is interrupted, so nothing looks like a
    place the data went."""
    refuse_every_url(monkeypatch, error)
    with pytest.raises(raised) as info:
        mnist_loader.load_data(verbose=False)
    assert not locate.CACHE_DIR.exists()
    if raised is DataNotFoundError:
        assert f"{locate.CACHE_DIR / 'mnist'}  (the project's cache; no such folder)" \
            in str(info.value)


def test_failed_download_keeps_folders_it_did_not_make(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what the download created goes: the existing cache, with the
    other dataset in it, stays; so does an empty folder the user named."""
    refuse_every_url(monkeypatch, urllib.error.URLError("no network (a test)"))
    make_dataset(locate.CACHE_DIR / "fashion-mnist")
    with pytest.raises(DataNotFoundError):
        mnist_loader.load_arrays(verbose=False)
    assert not (locate.CACHE_DIR / "mnist").exists()
    assert len(locate.missing_files(locate.CACHE_DIR / "fashion-mnist")) == 0
    named = tmp_path / "named"
    named.mkdir()
    with pytest.raises(DataNotFoundError):
        mnist_loader.download(data_dir=named, verbose=False)
    assert named.is_dir()


def test_partial_download_keeps_the_good_files(server: Server,
                                               published: dict[str, str]) -> None:
    """A download that fails at the third file keeps the two checked files
    it has (and so its folder): the next attempt fetches only what is missing."""
    del server.files["/good/t10k-images-idx3-ubyte.gz"]
    with pytest.raises(DataNotFoundError, match="missing t10k-images-idx3-ubyte.gz, "
                                                "t10k-labels-idx1-ubyte.gz"):
        mnist_loader.load_arrays(mirrors=[server.url + "/good/"], checksums=published,
                                 verbose=False)
    folder = locate.CACHE_DIR / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


#### The book's pickle


def book_arrays(seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """A small pickle content in the book's form: float32 pixels / 256."""
    rng = np.random.default_rng(seed)

    def pair(n: int) -> tuple[np.ndarray, np.ndarray]:
        pixels = rng.integers(0, 256, (n, 784), dtype=np.uint8)
        return (pixels.astype(np.float32) / 256, rng.integers(0, 10, n, dtype=np.int64))

    return (pair(30), pair(10), pair(10))


def book_checksums(book: tuple) -> dict[str, str]:
    """The checksums of the IDX files that hold ``book``'s content (pixels x
    256, training and validation together): what a pickle is checked against."""
    (tx, ty), (vx, vy), (sx, sy) = book

    def images(*parts: np.ndarray) -> str:
        pixels = (np.concatenate(parts) * 256).astype(np.uint8).reshape(-1, 28, 28)
        return hashlib.sha256(idx_bytes(pixels)).hexdigest()

    def labels(*parts: np.ndarray) -> str:
        return hashlib.sha256(idx_bytes(np.concatenate(parts))).hexdigest()

    return {"train-images-idx3-ubyte": images(tx, vx), "train-labels-idx1-ubyte": labels(ty, vy),
            "t10k-images-idx3-ubyte": images(sx), "t10k-labels-idx1-ubyte": labels(sy)}


def write_book(folder: Path, book: tuple, name: str = "mnist.pkl.gz", protocol: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps(book, protocol=protocol)
    path = folder / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("protocol", [2, 4])
def test_book_pickle_loads(tmp_path: Path, protocol: int) -> None:
    book = book_arrays()
    sums = book_checksums(book)
    path = write_book(tmp_path, book, protocol=protocol)
    loaded = mnist_loader.load_pickle(path, checksums=sums)
    for (x, y), (bx, by) in zip(loaded, book, strict=True):
        np.testing.assert_array_equal(x, bx)
        np.testing.assert_array_equal(y, by)
        assert x.dtype == np.float32 and y.dtype == np.int64 and x.flags.writeable
    # And through the book's calls, when it is the only file in the folder:
    # the same arrays, bit for bit, as the IDX files of the same content give.
    idx = tmp_path / "idx"
    idx.mkdir()
    (tx, ty), (vx, vy), (sx, sy) = book
    for name, array in (("train-images-idx3-ubyte", np.concatenate([tx, vx]) * 256),
                        ("train-labels-idx1-ubyte", np.concatenate([ty, vy])),
                        ("t10k-images-idx3-ubyte", sx * 256), ("t10k-labels-idx1-ubyte", sy)):
        shape = (-1, 28, 28) if "images" in name else (-1,)
        mnist_loader.write_idx(idx / (name + ".gz"), array.astype(np.uint8).reshape(shape))
    from_pickle = mnist_loader.load_data(data_dir=tmp_path, validation_size=10, checksums=sums)
    from_idx = mnist_loader.load_data(data_dir=idx, validation_size=10, checksums=sums)
    for (x, y), (ix, iy) in zip(from_pickle, from_idx, strict=True):
        assert x.dtype == ix.dtype == np.float64 and x.tobytes() == ix.tobytes()
        np.testing.assert_array_equal(y, iy)
    wrapped = mnist_loader.load_data_wrapper(data_dir=tmp_path, validation_size=10,
                                             checksums=sums)
    assert [len(d) for d in wrapped] == [30, 10, 10]
    raw = mnist_loader.load_arrays(data_dir=tmp_path, dtype=np.uint8, checksums=sums)
    np.testing.assert_array_equal(raw.test_images, (sx * 256).astype(np.uint8))


def test_book_pickle_in_data_folder() -> None:
    """The book keeps mnist.pkl.gz in data/ itself."""
    book = book_arrays()
    write_book(locate.CACHE_DIR, book)
    training = mnist_loader.load_data(validation_size=10, checksums=book_checksums(book))[0]
    assert len(training[0]) == 30


@pytest.mark.parametrize("name", ["mnist.pkl", "mnist.pkl.gz"])
@pytest.mark.parametrize("where", ["data_dir", "env", "cache"])
def test_book_pickle_is_found_zipped_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            name: str, where: str) -> None:
    """``gzip -d mnist.pkl.gz``, as tutorials do, leaves mnist.pkl: found
    wherever the IDX files would be."""
    book = book_arrays(2)
    folder = {"data_dir": tmp_path / "mine", "env": tmp_path / "env",
              "cache": locate.CACHE_DIR / "mnist"}[where]
    write_book(folder, book, name)
    if where == "env":
        monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    assert mnist_loader.find_data(data_dir=folder if where == "data_dir" else None) == \
        folder / name
    test = mnist_loader.load_data(data_dir=folder if where == "data_dir" else None,
                                  validation_size=10, checksums=book_checksums(book))[2]
    np.testing.assert_array_equal(test[1], book[2][1])


def test_not_found_names_the_pickle_as_accepted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError) as info:
        mnist_loader.load_data(data_dir=tmp_path / "empty", download=False)
    message = str(info.value)
    assert "the book's mnist.pkl.gz or mnist.pkl" in message
    assert "*-ubyte.gz" in message
    # Fashion-MNIST has no book pickle: not offered, and the book's is named for what it is.
    write_book(tmp_path / "fashion", book_arrays())
    with pytest.raises(DataNotFoundError) as info:
        mnist_loader.load_data("fashion-mnist", tmp_path / "fashion", download=False)
    message = str(info.value)
    assert "mnist.pkl.gz is the book's MNIST, not Fashion-MNIST" in message
    assert "or the book's" not in message


def test_book_pickle_content_is_checked(tmp_path: Path) -> None:
    """The book's file must be MNIST: the split's sizes, pixels x 256 whole,
    and pixels and labels equal to the canonical files'."""
    book = book_arrays()
    sums = book_checksums(book)
    path = write_book(tmp_path, book)
    with pytest.raises(DataError, match=r"not the book's MNIST pickle: holds 30 / 10 / 10 "
                                        r"training / validation / test images; .*50000"):
        mnist_loader.load_pickle(path)  # the canonical checksums: the sizes say it first
    (tx, ty), valid, (sx, sy) = book_arrays()

    def refused(content: tuple, message: str) -> None:
        write_book(tmp_path, content)
        with pytest.raises(DataError, match=message) as info:
            mnist_loader.load_data(data_dir=tmp_path, validation_size=10, checksums=sums)
        assert "verify=False" in str(info.value)

    one_pixel = tx.copy()
    one_pixel[3, 400] = (one_pixel[3, 400] * 256 + 1) % 256 / 256
    refused(((one_pixel, ty), valid, (sx, sy)),
            r"its training and validation images \(pixels x 256\): checksum mismatch")
    refused(((tx, ty), valid, (sx, np.roll(sy, 1))), "its test labels: checksum mismatch")
    refused(((tx, ty), valid, (sx * 0.999, sy)), "its test pixels x 256 are not whole numbers")
    # Other dtypes holding the same numbers are the same content.
    write_book(tmp_path, ((tx.astype(np.float64), ty), valid, (sx, sy.astype(np.uint8))))
    mnist_loader.load_data(data_dir=tmp_path, validation_size=10, checksums=sums)
    # verify=False: data of one's own, given as stored when not in 256ths.
    mine = ((tx * 0.999, ty), valid, (sx, sy))
    write_book(tmp_path, mine)
    got = mnist_loader.load_data(data_dir=tmp_path, validation_size=10, verify=False)
    np.testing.assert_array_equal(got[0][0], (tx * 0.999).astype(np.float64))


@pytest.mark.parametrize(("change", "message"), [
    (lambda x: x * 2, r"the training images hold values outside \[0, 1\]"),
    (lambda x: np.where(x > 0.5, np.nan, x).astype(np.float32), "outside"),
    (lambda x: x[:, :700], "expected floats, 784 pixels per image"),
    (lambda x: (x * 256).astype(np.uint8), "expected floats"),
])
def test_book_pickle_values_checked_even_unverified(tmp_path: Path, change, message) -> None:
    (tx, ty), valid, test = book_arrays()
    path = write_book(tmp_path, ((change(tx), ty), valid, test))
    with pytest.raises(DataError, match=message):
        mnist_loader.load_pickle(path, verify=False)


def test_book_pickle_labels_checked(tmp_path: Path) -> None:
    (tx, ty), (vx, vy), test = book_arrays()
    path = write_book(tmp_path, ((tx, ty), (vx, vy + 1), test))
    with pytest.raises(DataError, match="the validation labels must be integers 0-9"):
        mnist_loader.load_pickle(path, verify=False)


def py2_pickle(obj: object) -> bytes:
    """Pickle nested tuples of arrays exactly as Python 2's cPickle wrote
    the book's file (protocol 2): numpy.core names, and the raw data as a
    Python 2 byte string (BINSTRING), which Python 3 decodes as latin1."""

    def body(o: object) -> bytes:
        if isinstance(o, tuple):
            return b"(" + b"".join(body(item) for item in o) + b"t"
        assert isinstance(o, np.ndarray)
        code = {np.float32: b"f4", np.int64: b"i8"}[o.dtype.type]
        data = o.astype(o.dtype.newbyteorder("<")).tobytes()
        shape = b"(" + b"".join(b"J" + struct.pack("<i", n) for n in o.shape) + b"t"
        dtype = (b"cnumpy\ndtype\nU\x02" + code + b"K\x00K\x01\x87R"
                 b"(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
        return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R"
                b"(K\x01" + shape + dtype + b"\x89T" + struct.pack("<I", len(data)) + data + b"tb")

    return b"\x80\x02" + body(obj) + b"."


def test_python2_book_pickle(tmp_path: Path) -> None:
    book = book_arrays(1)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(py2_pickle(book)))
    for (x, y), (bx, by) in zip(mnist_loader.load_pickle(path, verify=False), book, strict=True):
        np.testing.assert_array_equal(x, bx)
        np.testing.assert_array_equal(y, by)


class WritesFile:
    """Unpickling this creates a file: proof that the payload ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (open, (str(self.path), "w"))


class RunsCommand:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("payload", [WritesFile, RunsCommand])
def test_crafted_pickle_never_runs(tmp_path: Path, payload: type) -> None:
    victim = tmp_path / "pwned"
    crafted = pickle.dumps((book_arrays()[0], payload(victim), book_arrays()[2]), protocol=2)
    (tmp_path / "mnist.pkl.gz").write_bytes(gzip.compress(crafted))
    with pytest.raises(DataError, match="refusing to unpickle"):
        mnist_loader.load_pickle(tmp_path / "mnist.pkl.gz")
    with pytest.raises(DataError, match="refusing to unpickle"):
        mnist_loader.load_data_wrapper(data_dir=tmp_path)
    assert not victim.exists()
    if payload is WritesFile:  # the payload is real: plain pickle does run it
        pickle.loads(crafted)
        assert victim.exists()


def test_pickle_of_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mnist.pkl.gz"
    objects = np.array([1, "a"], dtype=object)
    path.write_bytes(gzip.compress(pickle.dumps(((objects, objects),) * 3, protocol=2)))
    with pytest.raises(DataError):
        mnist_loader.load_pickle(path)
    path.write_bytes(gzip.compress(pickle.dumps({"not": "the book"}, protocol=2)))
    with pytest.raises(DataError, match="expected the book's structure"):
        mnist_loader.load_pickle(path)


#### The real data, when present

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

# The folders come from conftest.py's session-scoped fixtures mnist_dir and
# fashion_mnist_dir: pytest sets those up before the autouse fixture above
# clears the environment variables they read.


def test_real_mnist_load_data(mnist_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    training, validation, test = mnist_loader.load_data(download=False)  # via the variable
    assert [len(d[0]) for d in (training, validation, test)] == [50_000, 10_000, 10_000]
    assert training[0].shape == (50_000, 784) and training[0].dtype == np.float64
    assert training[1][0] == 5 and test[1][0] == 7
    train_labels = np.concatenate([training[1], validation[1]])
    assert np.bincount(train_labels).tolist() == MNIST_TRAIN_COUNTS
    assert training[0].min() == 0.0 and training[0].max() == 1.0
    train_mean = (training[0].mean() * 5 + validation[0].mean()) / 6
    assert train_mean == pytest.approx(0.1307, abs=5e-5)
    assert test[0].mean() == pytest.approx(0.1325, abs=5e-5)


def test_real_mnist_wrapper(mnist_dir: Path) -> None:
    training, validation, test = mnist_loader.load_data_wrapper(
        data_dir=mnist_dir, dtype=np.float32
    )
    assert (len(training), len(validation), len(test)) == (50_000, 10_000, 10_000)
    x, y = training[0]
    assert x.shape == (784, 1) and y.shape == (10, 1) and int(np.argmax(y)) == 5
    assert test[0][1] == 7 and type(test[0][1]) is int
    assert validation[0][1] == mnist_loader.read_idx(
        locate.idx_paths(mnist_dir)["train-labels-idx1-ubyte"])[50_000]


def test_real_mnist_memory(mnist_dir: Path) -> None:
    """At the peak, the data is held at most twice: as the decompressed
    bytes of the files and as the result."""
    decompressed = sum(len(read_content(p))
                       for p in locate.idx_paths(mnist_dir).values())
    tracemalloc.start()
    try:
        arrays = mnist_loader.load_arrays(data_dir=mnist_dir, dtype=np.float32)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result = sum(a.nbytes for a in arrays)
    assert peak < 1.1 * (result + decompressed)


def test_real_fashion_mnist(fashion_mnist_dir: Path) -> None:
    a = mnist_loader.load_arrays("fashion-mnist", fashion_mnist_dir, dtype=np.float32)
    assert a.train_images.shape == (60_000, 784) and a.test_images.shape == (10_000, 784)
    assert np.bincount(a.train_labels).tolist() == [6000] * 10
    assert np.bincount(a.test_labels).tolist() == [1000] * 10
    assert a.train_labels[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert a.train_images.mean(dtype=np.float64) == pytest.approx(0.2860, abs=5e-5)
    assert a.test_images.mean(dtype=np.float64) == pytest.approx(0.2868, abs=5e-5)


def test_real_book_pickle(mnist_dir: Path, tmp_path: Path) -> None:
    """The book's mnist.pkl, rebuilt from the real files as the book stored
    them (float32 pixel / 256, split 50,000 / 10,000 / 10,000), passes the
    canonical check and gives the IDX files' arrays bit for bit."""
    idx = mnist_loader.load_arrays(data_dir=mnist_dir, dtype=np.uint8)
    pixels = idx.train_images.astype(np.float32) / 256
    book = ((pixels[:50_000], idx.train_labels[:50_000]),
            (pixels[50_000:], idx.train_labels[50_000:]),
            (idx.test_images.astype(np.float32) / 256, idx.test_labels))
    folder = tmp_path / "book"
    write_book(folder, book, "mnist.pkl", protocol=4)  # protocol 4: quick to write
    del pixels, book
    got = mnist_loader.load_arrays(data_dir=folder, dtype=np.float32)
    want = mnist_loader.load_arrays(data_dir=mnist_dir, dtype=np.float32)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
