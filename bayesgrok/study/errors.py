"""The one error type of bad study input: it names the file, the key and the value."""

from __future__ import annotations

from typing import Any

_MISSING = object()


class StudyError(ValueError):
    """A study (or model card) file is wrong.

    Parameters
    ----------
    file
        The file at fault.
    key
        The dotted key at fault (``"search.optimizer"``), or ``""`` for the whole file.
    message
        What is wrong.
    value
        The offending value, if there is one.

    Examples
    --------
    >>> str(StudyError("s.toml", "search.optimizer", "unknown optimizer", value="adamm"))
    "s.toml: search.optimizer = 'adamm': unknown optimizer"
    """

    def __init__(self, file: str, key: str, message: str, value: Any = _MISSING,
                 also: list[str] | None = None) -> None:
        self.file, self.key, self.value, self.message = str(file), key, value, message
        self.also = list(also or [])  # further errors of the same file, one line each
        where = self.file
        if key:
            where += f": {key}"
            if value is not _MISSING:
                where += f" = {value!r}"
        super().__init__("\n".join([f"{where}: {message}", *self.also]))
