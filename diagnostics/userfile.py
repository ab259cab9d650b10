"""diagnostics.userfile
~~~~~~~~~~~~~~~~~~~~~

The user's own network from their own file, for ``python -m diagnostics
--code their_network.py``: import the file, find the class, build it.  Any
problem is a :class:`CodeError` whose message is one line naming it.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np


class CodeError(Exception):
    """The user's file cannot give a network: its one-line message says why."""


def raised_at(error: BaseException, paths: list[Path]) -> tuple[Path, int, str] | None:
    """Where ``error`` was raised in the files ``paths``: the last frame of
    its traceback in one of them, as ``(file, line number, source line)``;
    None when no frame is in them (it was raised in the caller or a library
    before reaching them)."""
    wanted = {path.resolve() for path in paths}
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename).resolve() in wanted]
    if not frames:
        return None
    return Path(frames[-1].filename), frames[-1].lineno or 0, (frames[-1].line or "").strip()


def source_files(obj: Any) -> list[Path]:
    """The Python files that define ``obj``'s class and its base classes (not
    ``object``'s): where the user's own methods live."""
    files = []
    for cls in type(obj).__mro__:
        try:
            files.append(Path(inspect.getsourcefile(cls) or ""))
        except TypeError:  # a built-in class has no file
            continue
    return [f for f in dict.fromkeys(files) if f.name]


def _where(error: BaseException, path: Path) -> str:
    """`` (line N)``: the last line of ``path`` in the error's traceback."""
    if isinstance(error, SyntaxError) and error.lineno:
        return f" (line {error.lineno})"
    found = raised_at(error, [path])
    return f" (line {found[1]})" if found else ""


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__}: {text}"


def load_class(path: str | os.PathLike, name: str = "Network") -> type:
    """The class ``name`` of the Python file ``path``, imported as a module of
    its own (its folder first on ``sys.path`` while it imports, so that its own
    imports, e.g. ``mnist_loader``, are found beside it)."""
    path = Path(path)
    if not path.is_file():
        raise CodeError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise CodeError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:  # the user's file may raise anything
        raise CodeError(f"{path} failed to import{_where(error, path)}: "
                        f"{_one_line(error)}") from None
    finally:
        sys.path.remove(folder)
    found = getattr(module, name, None)
    if not isinstance(found, type):
        classes = sorted(k for k, v in vars(module).items()
                         if isinstance(v, type) and v.__module__ == module.__name__)
        defines = (f"it defines {', '.join(classes)}: pass --class NAME" if classes
                   else "it defines no class")
        raise CodeError(f"{path} has no class {name} ({defines})")
    return found


def construct(cls: type, sizes: list[int], seed: int = 0) -> Any:
    """``cls(sizes)`` with numpy's global generator seeded with ``seed`` for
    the call and restored after it: book-style code draws its weights from
    ``np.random.randn``, and a diagnosis must be repeatable."""
    state = np.random.get_state()  # noqa: NPY002 - the user's code draws from the global one
    np.random.seed(seed)  # noqa: NPY002
    try:
        return cls(sizes)
    finally:
        np.random.set_state(state)  # noqa: NPY002


def build(path: str | os.PathLike, name: str, sizes: list[int], seed: int = 0) -> Any:
    """``name(sizes)`` from the file ``path``, built by :func:`construct`."""
    cls = load_class(path, name)
    try:
        return construct(cls, sizes, seed)
    except Exception as error:  # the user's code may raise anything
        hint = (f"; --code builds {name}(sizes) with the sizes alone: give its other "
                f"parameters defaults, or diagnose it from Python, "
                f"diagnostics.diagnose({name}(...), eta=...)"
                if isinstance(error, TypeError) and _where(error, Path(path)) == "" else "")
        raise CodeError(f"{name}({sizes}) from {path} raised{_where(error, Path(path))} "
                        f"{_one_line(error)}{hint}") from None
