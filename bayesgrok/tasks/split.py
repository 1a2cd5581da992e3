"""The `Split`: what every task returns.

A split holds the training and validation arrays of one seeded draw of a task, plus what
the task knows about itself (classification or regression, classes, which input columns
are operands or spurious). Arrays are NumPy; engines convert them to their backend.
A :class:`TaskPreview` is what a study needs to know of a draw before it runs (sizes, kind,
the checksums of the data files), without the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

Kind = Literal["classification", "regression"]
AccuracyRule = Literal["argmax", "sign"]


@dataclass(frozen=True)
class Split:
    """Training and validation data of one task draw, with its metadata.

    Parameters
    ----------
    name
        Task name, as registered in :data:`bayesgrok.tasks.TASKS`.
    x_train, y_train, x_val, y_val
        Inputs ``(n, d)`` and targets. Classification targets are integer class
        indices ``(n,)``; regression targets are floats ``(n,)``.
    kind
        ``"classification"`` or ``"regression"``.
    n_classes
        Number of classes (classification only).
    accuracy
        How a prediction counts as correct: ``"argmax"`` (class probabilities) or
        ``"sign"`` (regression whose sign must match the target's), or ``None``.
    operand_columns
        Input columns that carry operands (e.g. one-hot ``a`` and ``b``).
    spurious_columns
        Input columns that carry no information about the label.
    seed
        The seed the split was drawn with.
    metadata
        Anything else the task records (its parameters, raw inputs, ...).

    Examples
    --------
    >>> import numpy as np
    >>> s = Split("toy", np.zeros((2, 1)), np.zeros(2), np.zeros((3, 1)), np.zeros(3),
    ...           kind="regression")
    >>> s.n_train, s.n_val, s.n_features
    (2, 3, 1)
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    kind: Kind
    n_classes: int | None = None
    accuracy: AccuracyRule | None = None
    operand_columns: tuple[int, ...] = ()
    spurious_columns: tuple[int, ...] = ()
    seed: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for part in ("train", "val"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"task {self.name!r}: {part} arrays have shapes {x.shape} and {y.shape}; "
                    "expected (n, d) inputs and (n,) targets"
                )
        if self.x_train.shape[1] != self.x_val.shape[1]:
            raise ValueError(f"task {self.name!r}: train and validation widths differ")
        if self.kind == "classification" and not self.n_classes:
            raise ValueError(f"task {self.name!r}: a classification task needs n_classes")

    @property
    def n_train(self) -> int:
        """Number of training points."""
        return int(self.x_train.shape[0])

    @property
    def n_val(self) -> int:
        """Number of validation points."""
        return int(self.x_val.shape[0])

    @property
    def n_features(self) -> int:
        """Input dimension."""
        return int(self.x_train.shape[1])

    def with_inputs(self, x_train: np.ndarray, x_val: np.ndarray, **changes: Any) -> Split:
        """Return a copy with new input arrays (and any other fields changed).

        Examples
        --------
        >>> import numpy as np
        >>> s = Split("toy", np.zeros((2, 1)), np.zeros(2), np.zeros((1, 1)), np.zeros(1),
        ...           kind="regression")
        >>> s.with_inputs(np.ones((2, 3)), np.ones((1, 3))).n_features
        3
        """
        return replace(self, x_train=x_train, x_val=x_val, **changes)


@dataclass(frozen=True)
class TaskPreview:
    """What a study checks and records of a task draw before any run: no arrays.

    Made from a drawn split by :meth:`of`, or, by a task whose data are fetched on first use
    (MNIST's download), from its parameters alone, so that a study can be checked on a
    machine that does not hold the data yet.

    Parameters
    ----------
    name, kind, n_classes, accuracy, operand_columns, spurious_columns
        As in :class:`Split`.
    n_train, n_val
        Numbers of training and validation points.
    checksums
        Digests of the data the task reads, by part (``{"test_images": "md5:..."}``), the
        same for every seed; ``None`` for generated data. A study puts them into every
        run's configuration, so that changed data never pass for a finished run.

    Examples
    --------
    >>> import numpy as np
    >>> s = Split("toy", np.zeros((2, 1)), np.zeros(2), np.zeros((3, 1)), np.zeros(3),
    ...           kind="regression", metadata={"provenance": {"checksums": {"x": "md5:00"}}})
    >>> p = TaskPreview.of(s)
    >>> p.n_train, p.n_val, p.checksums
    (2, 3, {'x': 'md5:00'})
    """

    name: str
    kind: Kind
    n_train: int
    n_val: int
    n_classes: int | None = None
    accuracy: AccuracyRule | None = None
    operand_columns: tuple[int, ...] = ()
    spurious_columns: tuple[int, ...] = ()
    checksums: dict[str, str] | None = None
    n_features: int | None = None

    @classmethod
    def of(cls, split: Split) -> TaskPreview:
        """The preview of a drawn split; ``checksums`` from ``metadata["provenance"]``.

        Examples
        --------
        >>> import numpy as np
        >>> s = Split("toy", np.zeros((2, 1)), np.zeros(2), np.zeros((1, 1)), np.zeros(1),
        ...           kind="regression")
        >>> TaskPreview.of(s).checksums is None
        True
        """
        provenance = split.metadata.get("provenance")
        checksums = provenance.get("checksums") if isinstance(provenance, dict) else None
        return cls(
            name=split.name,
            kind=split.kind,
            n_train=split.n_train,
            n_val=split.n_val,
            n_classes=split.n_classes,
            accuracy=split.accuracy,
            operand_columns=tuple(split.operand_columns),
            spurious_columns=tuple(split.spurious_columns),
            checksums=dict(checksums) if checksums else None,
            n_features=int(split.x_train.shape[1]),
        )
