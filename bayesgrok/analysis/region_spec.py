"""How LEHC and LELC are defined: the region codes, :class:`RegionSpec`, and the grid of
definitions a sensitivity analysis moves through (see :mod:`bayesgrok.analysis.regions`
for the definitions in words)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

REGION_CODES = {"HEHC": 0, "HELC": 1, "LEHC": 2, "LELC": 3}
NO_REGION = -1
HEHC, HELC, LEHC, LELC = (REGION_CODES[k] for k in ("HEHC", "HELC", "LEHC", "LELC"))


@dataclass(frozen=True)
class RegionSpec:
    """How regions are defined (see the module's docstring).

    Attributes
    ----------
    tolerance
        How far above the reference complexity still counts as low, in natural-log units
        (a factor ``exp(tolerance)``), or in the complexity's own units where it can be
        negative.
    reference
        ``"lowest_final"``, a number, or a mapping from swept coordinates to values naming
        a sweep point whose final complexity is the reference.
    reference_group
        The per-run variable or coordinate whose values group runs for the reference.
    threshold
        Training accuracy at or above which the error is low (classification).
    mse_threshold
        Training MSE at or below which the error is low; when given, MSE is used (as in
        :func:`~bayesgrok.analysis.onsets.grokking_gap`).
    onset
        Which onset the gap uses: ``"threshold"`` (first step strictly above the
        threshold) or ``"fit"`` (the erf fit of :mod:`bayesgrok.analysis.onset_fit`).
    fit_threshold
        The level of the low-error test when it differs from the onsets' (a training
        accuracy, or a training MSE when ``mse_threshold`` is given); default the
        threshold of the onsets. The sensitivity grid moves this one alone, so the
        grokking gap stays the same.
    """

    tolerance: float = math.log(2.0)
    reference: str | float | Mapping[str, Any] = "lowest_final"
    reference_group: str = "family"
    threshold: float = 0.95
    mse_threshold: float | None = None
    onset: str = "threshold"
    fit_threshold: float | None = None

    def __post_init__(self) -> None:
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise ValueError(f"tolerance must be a finite number >= 0, not {self.tolerance!r}")
        if self.onset not in ("threshold", "fit"):
            raise ValueError(f"onset must be 'threshold' or 'fit', not {self.onset!r}")
        ref = self.reference
        if isinstance(ref, str) and ref != "lowest_final":
            raise ValueError(f"reference must be 'lowest_final', a number or a sweep point, "
                             f"not {ref!r}")

    def describe(self) -> str:
        """The reference rule in words, recorded in the outputs.

        Examples
        --------
        >>> RegionSpec().describe()
        'lowest final complexity among the runs of each family that keep their complexity term'
        >>> RegionSpec(reference={"start": "C"}).describe()
        'final complexity of the sweep point start=C'
        """
        ref = self.reference
        if isinstance(ref, str):
            return ("lowest final complexity among the runs of each "
                    f"{self.reference_group} that keep their complexity term")
        if isinstance(ref, Mapping):
            point = ", ".join(f"{k}={v}" for k, v in ref.items())
            return f"final complexity of the sweep point {point}"
        return f"the number {float(ref):g}"


def sensitivity_grid(spec: RegionSpec, tolerances: Sequence[float] | None = None,
                     thresholds: Sequence[float] | None = None) -> list[RegionSpec]:
    """The region definitions of a sensitivity analysis: tolerances times fit thresholds.

    By default the tolerance is halved and doubled, and the fit threshold is moved to
    0.9 and 0.99 (accuracy) or halved and doubled (MSE); the definition in force is
    always one of the cells.

    Examples
    --------
    >>> len(sensitivity_grid(RegionSpec()))
    9
    """
    tolerances = list(tolerances) if tolerances else [spec.tolerance / 2, spec.tolerance,
                                                      spec.tolerance * 2]
    if spec.mse_threshold is not None:
        base = spec.mse_threshold if spec.fit_threshold is None else spec.fit_threshold
        levels = list(thresholds) if thresholds else [base / 2, base, base * 2]
    else:
        base = spec.threshold if spec.fit_threshold is None else spec.fit_threshold
        levels = list(thresholds) if thresholds else sorted({0.9, base, 0.99})
    return [replace(spec, tolerance=t, fit_threshold=a) for t in tolerances for a in levels]
