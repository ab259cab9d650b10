"""nndl.errors
~~~~~~~~~~~

The loader's two errors.  Each carries its message twice: for a Python
caller (who has ``data_dir=`` and ``verify=False``) and for a command-line
user (who has ``--data-dir`` and no ``verify``).
"""

from __future__ import annotations


class DataError(ValueError):
    """A data file is missing, damaged, or not the file it claims to be.

    ``str(error)`` speaks to a Python caller (``data_dir=``,
    ``verify=False``); ``error.for_command_line()`` says the same to a
    command-line user, who has ``--data-dir`` and no ``verify``."""

    def __init__(self, message: str, command_line: str | None = None) -> None:
        super().__init__(message)
        self.command_line = message if command_line is None else command_line

    def for_command_line(self) -> str:
        return self.command_line


class DataNotFoundError(DataError):
    """The files are nowhere to be found and could not be downloaded, or a
    folder named for them does not exist."""
