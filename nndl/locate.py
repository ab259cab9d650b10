"""nndl.locate
~~~~~~~~~~~

Where the data lives, in this order: the ``data_dir`` argument; the folder
named by ``$MNIST_DATA_DIR`` (``$FASHION_MNIST_DATA_DIR``); a system folder
(Debian installs Fashion-MNIST in /usr/share/datasets/fashion-mnist); the
project's ``data/<dataset>/`` cache; and, for MNIST, ``data/`` itself, where
the book keeps ``mnist.pkl.gz``.  In each folder: the four IDX files, or
else (MNIST only) the book's pickle.  A folder you name (``data_dir``, the
environment variable) must exist: a typing mistake is reported, never
skipped or created.  And when nothing is found, the error says what is
missing, where it looked, and how to provide the files.
"""

from __future__ import annotations

import os
from pathlib import Path

from nndl import datasets
from nndl.datasets import ENV_VARS, FILES, PICKLE_NAMES, TITLES
from nndl.errors import DataNotFoundError

# The project's cache: data/mnist/, data/fashion-mnist/.  Downloads go here.
CACHE_DIR = Path(__file__).resolve().parent.parent / "data"

# Folders where an operating system package installs the files.
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "mnist": (),
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}

# What ``locate`` finds: the four IDX files (canonical name to path), the
# book's pickle (a path), or nothing.
Found = dict[str, Path] | Path | None

# A folder searched, and why (a key of ``why``'s table).
Searched = list[tuple[Path, str]]


def find_data(dataset: str = "mnist", data_dir: str | os.PathLike | None = None) -> Found:
    """Where ``load_arrays`` would read ``dataset`` from, without reading or
    downloading anything: the four IDX files (a dict from canonical name to
    path), else the book's pickle (a path), else None.  Raises
    ``DataNotFoundError`` if ``data_dir`` or the environment variable names
    a folder that does not exist."""
    return locate(datasets.dataset_name(dataset), data_dir)[1]


def locate(dataset: str, data_dir: str | os.PathLike | None) -> tuple[Searched, Found]:
    """Return the folders searched (with why each was searched), and what
    was found in the first folder that has data: its four IDX files, or
    else (for MNIST) the book's pickle; None if no folder has either."""
    searched = search_path(dataset, data_dir)
    for folder, _ in searched:
        paths = idx_paths(folder)
        if paths is not None:
            return searched, paths
        pickle_path = find_pickle(folder) if dataset == "mnist" else None
        if pickle_path is not None:
            return searched, pickle_path
    return searched, None


def search_path(dataset: str, data_dir: str | os.PathLike | None) -> Searched:
    """The folders to look in, each with why.  A folder the user named must
    exist: a typing mistake is reported, not skipped."""
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        check_named_folder(dataset, folder, "data_dir")
        return [(folder, "data_dir")]
    folders = []
    env = os.environ.get(ENV_VARS[dataset])
    if env:
        folder = Path(env).expanduser()
        check_named_folder(dataset, folder, "env")
        folders.append((folder, "env"))
    folders += [(folder, "system") for folder in SYSTEM_DIRS[dataset]]
    folders.append((CACHE_DIR / dataset, "cache"))
    if dataset == "mnist":
        folders.append((CACHE_DIR, "book"))  # the book keeps mnist.pkl.gz in data/ itself
    return folders


def why(reason: str, dataset: str, command_line: bool) -> str:
    """Why a folder was searched, in the words of a Python or a command-line user."""
    if reason == "data_dir":
        return "--data-dir" if command_line else "the data_dir argument"
    return {"env": f"${ENV_VARS[dataset]}", "system": "system folder",
            "cache": "the project's cache", "book": "the book's place for mnist.pkl.gz",
            "download": "the download folder"}[reason]


def check_named_folder(dataset: str, folder: Path, reason: str) -> None:
    """DataNotFoundError unless ``folder``, named by the user (``reason``:
    "data_dir" or "env"), is an existing folder."""
    if folder.is_dir():
        return
    problem = "is not a folder" if folder.exists() else "does not exist"
    fix = (f"or unset {ENV_VARS[dataset]} to use the project's cache {CACHE_DIR / dataset}/"
           if reason == "env" else "or create it and put the files in it")

    def text(command_line: bool) -> str:
        return (f"{TITLES[dataset]} data: {folder} {problem} (named by "
                f"{why(reason, dataset, command_line)}). A folder you name is never created: "
                f"check the path, {fix}.")

    raise DataNotFoundError(text(False), text(True))


def file_names(name: str) -> tuple[str, ...]:
    """The spellings of canonical file ``name`` accepted, gzipped or not;
    some copies (e.g. unzipped on Windows) spell "train-images.idx3-ubyte"
    with a dot."""
    dotted = name.replace("-idx", ".idx")
    return (name + ".gz", name, dotted + ".gz", dotted)


def find_file(folder: Path, name: str) -> Path | None:
    """The first spelling of canonical file ``name`` present in ``folder``."""
    for candidate in file_names(name):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def find_pickle(folder: Path) -> Path | None:
    """The book's ``mnist.pkl.gz`` (or ``mnist.pkl``) in ``folder``, if there."""
    for name in PICKLE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def idx_paths(folder: Path) -> dict[str, Path] | None:
    """The four canonical files in ``folder`` (name to path), or None
    unless all four are there."""
    paths = {name: find_file(folder, name) for name in FILES}
    return paths if None not in paths.values() else None  # type: ignore[return-value]


def missing_files(folder: Path) -> list[str]:
    """The canonical files ``folder`` lacks (all four if it does not exist)."""
    return [name for name in FILES if find_file(folder, name) is None]


def not_found(
    dataset: str, searched: Searched, missing: list[str], failures: list[str]
) -> DataNotFoundError:
    """The error that says what is missing, where we looked (and what each
    folder holds), why a download failed, and how to provide the files."""
    def text(command_line: bool) -> str:
        return "\n".join([
            _missing_line(dataset, missing),
            *_looked_in(dataset, searched, command_line),
            *(["Download failed:", *(f"  {failure}" for failure in failures)] if failures
              else []),
            *_how_to_provide(dataset, command_line),
        ])

    return DataNotFoundError(text(False), text(True))


def _missing_line(dataset: str, missing: list[str]) -> str:
    first = f"{dataset} data not found: missing {', '.join(n + '.gz' for n in missing)}"
    book = " or ".join(PICKLE_NAMES)
    return first + (f" (or, instead of the four, the book's {book})." if dataset == "mnist"
                    else ".")


def _looked_in(dataset: str, searched: Searched, command_line: bool) -> list[str]:
    lines = ["Looked in:"]
    for folder, reason in searched:
        have = [n for n in FILES if find_file(folder, n) is not None]
        state = "no such folder" if not folder.is_dir() else f"has {len(have)} of the 4 files"
        if dataset != "mnist" and folder.is_dir() and find_pickle(folder) is not None:
            state += f"; {find_pickle(folder).name} is the book's MNIST, not {TITLES[dataset]}"
        lines.append(f"  {folder}  ({why(reason, dataset, command_line)}; {state})")
    if not os.environ.get(ENV_VARS[dataset]):
        lines.append(f"  (${ENV_VARS[dataset]} is not set)")
    return lines


def _how_to_provide(dataset: str, command_line: bool) -> list[str]:
    accepted = "the four canonical IDX files (*-ubyte.gz, gzipped or not)"
    if dataset == "mnist":
        accepted = f"either {accepted} or the book's {' or '.join(PICKLE_NAMES)}"
    where = ("pass --data-dir /path/to/folder" if command_line
             else "pass data_dir='/path/to/folder' to the load function")
    return [
        f"To provide the data, {accepted}:",
        f"  - {where}, or",
        f"  - set {ENV_VARS[dataset]}=/path/to/folder, or",
        f"  - copy them into {CACHE_DIR / dataset}/ (see data/README.md for sources and "
        "checksums).",
    ]
