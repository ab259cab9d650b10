"""nndl.download
~~~~~~~~~~~~~~~

Fetch the canonical files from public mirrors (``nndl.datasets.MIRRORS``).
Each file goes to a temporary file, its uncompressed content is checked
against the pinned SHA-256, and only then is it renamed into place; a file
that fails is deleted and the next mirror tried.  Only the project cache is
ever created (a folder the user names must exist), and a download that
fails leaves no empty folder behind.
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from nndl import datasets, locate
from nndl.checksums import check_sha256
from nndl.errors import DataError
from nndl.idx import read_content


def download(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    checksums: Mapping[str, str] | None = None,
    verbose: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download the files of ``dataset`` that ``data_dir`` (default: the
    project cache) lacks, and return the folder.

    Each file is tried at each mirror in turn; it is written to a
    temporary file, its uncompressed content checked against
    ``checksums`` (default ``SHA256[dataset]``), and only then renamed
    into place.  A file that fails is removed, and the next mirror tried.
    ``data_dir`` must exist (a mistyped path is an error, not a new
    folder); the project cache is created if needed, and removed again if
    the download fails and leaves it empty.  DataNotFoundError if a file
    cannot be had from any mirror.
    """
    dataset = datasets.dataset_name(dataset)
    if data_dir is None:
        target = locate.CACHE_DIR / dataset
    else:
        target = Path(data_dir).expanduser()
        locate.check_named_folder(dataset, target, "data_dir")  # never created: maybe a typo
    download_missing(dataset, target, [(target, "download")], mirrors, checksums, verbose,
                     timeout)
    return target


def find_or_download(
    dataset: str,
    data_dir: str | os.PathLike | None,
    download: bool,
    verbose: bool,
    checksums: Mapping[str, str] | None,
    mirrors: Sequence[str] | None,
) -> dict[str, Path] | Path:
    """What ``locate.locate`` finds; if nothing, and ``download``, the four
    files fetched into ``data_dir`` (or the project cache).  Raises
    DataNotFoundError naming every folder searched."""
    searched, found = locate.locate(dataset, data_dir)
    if found is not None:
        return found
    target = searched[0][0] if data_dir is not None else locate.CACHE_DIR / dataset
    if not download:
        raise locate.not_found(dataset, searched, locate.missing_files(target), [])
    download_missing(dataset, target, searched, mirrors, checksums, verbose)
    return locate.idx_paths(target)


def download_missing(
    dataset: str,
    target: Path,
    searched: locate.Searched,
    mirrors: Sequence[str] | None,
    checksums: Mapping[str, str] | None,
    verbose: bool,
    timeout: float = 60.0,
) -> None:
    """Fetch the canonical files ``target`` lacks.  On failure, remove the
    folders this made if they are still empty, then raise DataNotFoundError
    listing ``searched`` (plus ``target``) and every mirror's error."""
    missing = locate.missing_files(target)
    if not missing:
        return
    mirrors = datasets.MIRRORS[dataset] if mirrors is None else mirrors
    checksums = datasets.SHA256[dataset] if checksums is None else checksums
    created = make_folders(target)
    try:
        failures = _fetch_all(missing, target, mirrors, checksums, verbose, timeout)
    except BaseException:
        remove_empty(created)
        raise
    if failures:
        remove_empty(created)
        if target not in [folder for folder, _ in searched]:
            searched = [*searched, (target, "download")]
        raise locate.not_found(dataset, searched, locate.missing_files(target), failures)


def _fetch_all(missing: list[str], target: Path, mirrors: Sequence[str],
               checksums: Mapping[str, str], verbose: bool, timeout: float) -> list[str]:
    """Fetch each file in ``missing``; return the errors of the first file
    no mirror could give (then stop: the others would most likely fail the
    same way), or [] if all came."""
    for name in missing:
        errors = _fetch_from_mirrors(name, target, mirrors, checksums[name], verbose, timeout)
        if errors:
            return errors
    return []


def _fetch_from_mirrors(name: str, target: Path, mirrors: Sequence[str], sha256: str,
                        verbose: bool, timeout: float) -> list[str]:
    """Try each mirror for ``name``.gz until one serves it; return each
    failed mirror's error, or [] once one succeeded."""
    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        try:
            fetch(url, target / (name + ".gz"), sha256, verbose, timeout)
            return []
        # URLError, HTTPError and timeouts are OSErrors; IncompleteRead an HTTPException.
        except (OSError, http.client.HTTPException, DataError) as e:
            errors.append(f"{url}: {e}")
    return errors or [f"{name}.gz: no mirrors to try"]


def make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and any missing parents; return those created,
    deepest first (the order ``remove_empty`` removes them in)."""
    created = [f for f in (folder, *folder.parents) if not f.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return created


def remove_empty(folders: list[Path]) -> None:
    """Remove each folder of ``folders`` (deepest first) while it is empty:
    a failed download must not leave an empty data/mnist/ behind, which
    would look like a place the files were put."""
    for folder in folders:
        try:
            folder.rmdir()  # refuses a folder that is not empty
        except OSError:
            return


def fetch(url: str, dest: Path, sha256: str, verbose: bool, timeout: float) -> None:
    """Download ``url`` to ``dest`` atomically, refusing it unless its
    uncompressed content has the given SHA-256 (DataError)."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = _copy(response, f, dest.name, total, verbose)
        if total and done != total:
            raise DataError(f"connection closed after {done} of {total} bytes")
        check_sha256(read_content(Path(tmp)), sha256, url, own_data=False)
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)  # never leave a partial or refused file behind
        raise


def _copy(response: http.client.HTTPResponse, f: BinaryIO, name: str, total: int,
          verbose: bool) -> int:
    """Copy the response into ``f`` in 64 KiB pieces, showing progress on
    stderr if ``verbose``; return the bytes copied."""
    done = 0
    while chunk := response.read(1 << 16):
        f.write(chunk)
        done += len(chunk)
        if verbose:
            _progress(name, done, total)
    if verbose:
        print(file=sys.stderr)
    return done


def _progress(name: str, done: int, total: int) -> None:
    if total:
        status = f"{done / 1e6:6.1f} / {total / 1e6:.1f} MB ({100 * done // total:3d}%)"
    else:
        status = f"{done / 1e6:6.1f} MB"
    print(f"\rdownloading {name}: {status}", end="", file=sys.stderr, flush=True)
