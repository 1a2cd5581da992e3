"""The general grokking hypothesis as a test, over the regions of one study or several.

For each group of runs (the family by default, or any swept value), from the per-seed rows
of :func:`bayesgrok.analysis.regions.regions_table`:

* ``seeds``: seeds of runs that keep their complexity term, with status ``ok``;
  ``grokked``: how many of them grokked (validation crossed strictly after training);
* ``passed_lehc_fraction``: of the grokked seeds, the fraction that reached LELC after
  LEHC (``passed_lehc``);
* ``spearman_rho`` between ``lehc_dwell`` and ``gap`` over the grokked seeds, with a 95%
  percentile bootstrap interval (``rho_low``, ``rho_high``; :func:`scipy.stats.bootstrap`,
  paired resampling, a fixed seed; resamples whose dwells or gaps are all equal have no
  rho and are left out of the interval, which is empty when they are half or more);
* ``exit_before_onset_p``: a one-sided sign test (:func:`scipy.stats.binomtest`, p = 1/2)
  that the LEHC exit comes before the validation onset, over the grokked seeds that have
  an exit (ties left out); ``exit_before_onset`` says ``k/n``;
* ``median_lag_over_gap``: the median of ``(val_onset - lehc_exit) / gap``;
* ``ablation_seeds`` and ``ablation_lelc_fraction``: the ok seeds of runs without their
  complexity term, and the fraction that ever reached LELC.

The **verdict** applies criteria that a study states before it is run
(:class:`HypothesisCriteria`): ``inconclusive`` with fewer than ``min_grokked`` grokked
seeds or when a criterion in force cannot be evaluated (no interval, no exit, no
ablation); ``not supported`` when any criterion in force fails; ``supported`` when all
hold. Counter-examples (a seed that groks without passing LEHC first; a seed that passes
LEHC and never generalises; an ablation seed that reaches LELC) are listed by run and seed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CRITERIA", "HypothesisCriteria", "counterexamples", "hypothesis_table"]

CRITERIA = ("passed_lehc", "exit_before_onset", "dwell_tracks_gap", "ablation_stays_out")

COLUMNS = ("group", "seeds", "grokked", "passed_lehc_fraction", "spearman_rho", "rho_low",
           "rho_high", "exit_before_onset_p", "median_lag_over_gap", "ablation_lelc_fraction",
           "verdict")


@dataclass(frozen=True)
class HypothesisCriteria:
    """What "supported" means, fixed before a study is run.

    Attributes
    ----------
    criteria
        The criteria in force, any of ``passed_lehc`` (``passed_lehc_fraction >=
        min_passed_fraction``), ``exit_before_onset`` (``exit_before_onset_p <=
        max_p``), ``dwell_tracks_gap`` (``rho_low > min_rho_low``) and
        ``ablation_stays_out`` (``ablation_lelc_fraction <= max_ablation_lelc``).
    min_grokked
        Fewer grokked seeds than this make the verdict ``inconclusive``.
    min_passed_fraction, max_p, min_rho_low, max_ablation_lelc
        The levels of the criteria.
    """

    criteria: tuple[str, ...] = CRITERIA
    min_grokked: int = 3
    min_passed_fraction: float = 0.8
    max_p: float = 0.05
    min_rho_low: float = 0.0
    max_ablation_lelc: float = 0.2
    n_resamples: int = 2000

    def __post_init__(self) -> None:
        unknown = [c for c in self.criteria if c not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown criteria {unknown}: choose from {list(CRITERIA)}")

    def describe(self) -> str:
        """The criteria in words (for reports).

        Examples
        --------
        >>> HypothesisCriteria(criteria=("passed_lehc",)).describe()
        'at least 3 grokked seeds; passed_lehc_fraction >= 0.8'
        """
        words = {
            "passed_lehc": f"passed_lehc_fraction >= {self.min_passed_fraction:g}",
            "exit_before_onset": f"exit_before_onset_p <= {self.max_p:g}",
            "dwell_tracks_gap": f"rho_low > {self.min_rho_low:g}",
            "ablation_stays_out": f"ablation_lelc_fraction <= {self.max_ablation_lelc:g}",
        }
        return "; ".join([f"at least {self.min_grokked} grokked seeds",
                          *(words[c] for c in self.criteria)])


def _pooled(tables: pd.DataFrame | Sequence[pd.DataFrame]) -> pd.DataFrame:
    if isinstance(tables, pd.DataFrame):
        return tables
    return pd.concat(list(tables), ignore_index=True)


def _spearman(x: np.ndarray, y: np.ndarray, n_resamples: int) -> tuple[float, float, float]:
    """rho and its 95% percentile bootstrap interval (NaN where undefined)."""
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return (np.nan,) * 3
    from scipy import stats  # here: scipy.stats takes a second to import

    rho = float(stats.spearmanr(x, y).statistic)

    def statistic(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        # Spearman's rho is Pearson's r of the ranks; vectorised over resamples
        ra = stats.rankdata(a, axis=axis)
        rb = stats.rankdata(b, axis=axis)
        ra = ra - ra.mean(axis=axis, keepdims=True)
        rb = rb - rb.mean(axis=axis, keepdims=True)
        return (ra * rb).sum(axis=axis) / np.sqrt((ra**2).sum(axis=axis)
                                                  * (rb**2).sum(axis=axis))

    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant resamples: rho undefined, NaN
        boot = stats.bootstrap((x, y), statistic, paired=True, vectorized=True,
                               n_resamples=n_resamples, method="percentile",
                               rng=np.random.default_rng(0))
    low, high = (float(v) for v in (boot.confidence_interval.low,
                                     boot.confidence_interval.high))
    if not (math.isfinite(low) and math.isfinite(high)):
        # resamples that repeat one seed have no rho (constant ranks): leave them out
        found = np.asarray(boot.bootstrap_distribution, dtype=float)
        found = found[np.isfinite(found)]
        if found.size >= 0.5 * n_resamples:
            low, high = (float(v) for v in np.percentile(found, [2.5, 97.5]))
    return rho, low, high


def _group_row(rows: pd.DataFrame, criteria: HypothesisCriteria) -> dict[str, object]:
    ok = rows["status"].astype(str) == "ok"
    keeps = rows["keeps_complexity"].astype(bool)
    if "has_regions" in rows:  # a group without a reference has no regions to test
        ok &= rows["has_regions"].astype(bool)
    main, ablation = rows[ok & keeps], rows[ok & ~keeps]
    grokked = main[main["grokked"].astype(bool)]
    n_grok = len(grokked)
    passed = float(grokked["passed_lehc"].astype(bool).mean()) if n_grok else np.nan
    usable = grokked[np.isfinite(grokked["lehc_dwell"].astype(float))
                     & np.isfinite(grokked["gap"].astype(float))]
    rho, low, high = _spearman(usable["lehc_dwell"].to_numpy(float),
                               usable["gap"].to_numpy(float), criteria.n_resamples)
    exits = grokked[np.isfinite(grokked["lehc_exit"].astype(float))]
    before = int((exits["lehc_exit"] < exits["val_onset"]).sum())
    after = int((exits["lehc_exit"] > exits["val_onset"]).sum())
    from scipy.stats import binomtest  # here: scipy.stats takes a second to import

    p = (float(binomtest(before, before + after, 0.5, alternative="greater").pvalue)
         if before + after else np.nan)
    ratios = grokked["lag_over_gap"].astype(float)
    ratios = ratios[np.isfinite(ratios)]
    lelc = (float(ablation["reached_lelc"].astype(bool).mean()) if len(ablation) else np.nan)
    row: dict[str, object] = {
        "seeds": len(main), "grokked": n_grok, "passed_lehc_fraction": passed,
        "spearman_rho": rho, "rho_low": low, "rho_high": high,
        "exit_before_onset_p": p,
        "median_lag_over_gap": float(np.median(ratios)) if ratios.size else np.nan,
        "ablation_lelc_fraction": lelc,
        "exit_before_onset": f"{before}/{before + after}",
        "ablation_seeds": len(ablation),
    }
    checks = {
        "passed_lehc": (passed >= criteria.min_passed_fraction) if n_grok else None,
        "exit_before_onset": (p <= criteria.max_p) if math.isfinite(p) else None,
        "dwell_tracks_gap": (low > criteria.min_rho_low) if math.isfinite(low) else None,
        "ablation_stays_out": (lelc <= criteria.max_ablation_lelc)
        if math.isfinite(lelc) else None,
    }
    inforce = {name: checks[name] for name in criteria.criteria}
    failed = [name for name, held in inforce.items() if held is False]
    unknown = [name for name, held in inforce.items() if held is None]
    if not ok.any():
        verdict = "inconclusive"
        why = "no regions: no reference complexity (no complexity term, or no run keeps it)"
    elif n_grok < criteria.min_grokked:
        verdict = "inconclusive"
        why = f"{n_grok} grokked seeds (fewer than {criteria.min_grokked})"
    elif failed:
        verdict, why = "not supported", "failed: " + ", ".join(failed)
    elif unknown:
        verdict, why = "inconclusive", "not measurable: " + ", ".join(unknown)
    else:
        verdict, why = "supported", "every criterion held"
    row["verdict"] = verdict
    row["reason"] = why
    for name in CRITERIA:
        row[f"holds_{name}"] = checks[name]
    return row


def hypothesis_table(
    tables: pd.DataFrame | Sequence[pd.DataFrame],
    criteria: HypothesisCriteria | None = None,
    *,
    group: str = "group",
) -> pd.DataFrame:
    """The hypothesis test per group, over the regions tables of one study or several.

    Parameters
    ----------
    tables
        One or several tables from :func:`~bayesgrok.analysis.regions.regions_table`
        (pooled before grouping).
    criteria
        The criteria of the verdict (default :class:`HypothesisCriteria`).
    group
        The column whose values form the groups: ``group`` (the regions' reference
        group, the family by default) or a swept value.

    Returns
    -------
    pandas.DataFrame
        One row per group, with the columns of ``hypothesis.csv`` (``group``, ``seeds``,
        ``grokked``, ``passed_lehc_fraction``, ``spearman_rho``, ``rho_low``,
        ``rho_high``, ``exit_before_onset_p``, ``median_lag_over_gap``,
        ``ablation_lelc_fraction``, ``verdict``), then ``reason``,
        ``exit_before_onset`` (``k/n``), ``ablation_seeds`` and ``holds_<criterion>``
        for each criterion (empty where it cannot be evaluated).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> dwell = np.arange(1.0, 9.0) * 100
    >>> rows = pd.DataFrame({
    ...     "group": "g", "status": "ok", "keeps_complexity": True, "grokked": True,
    ...     "passed_lehc": True, "reached_lelc": True, "lehc_dwell": dwell,
    ...     "gap": dwell * 2 + rng.normal(0, 10, 8), "lehc_exit": dwell,
    ...     "val_onset": dwell * 2, "lag_over_gap": 0.5})
    >>> table = hypothesis_table(rows, HypothesisCriteria(criteria=CRITERIA[:3]))
    >>> print(table[["group", "grokked", "spearman_rho", "verdict"]].to_string(index=False))
    group  grokked  spearman_rho   verdict
        g        8           1.0 supported
    """
    criteria = criteria or HypothesisCriteria()
    pooled = _pooled(tables)
    if group not in pooled.columns:
        raise ValueError(f"no column {group!r} to group by (columns: {list(pooled.columns)})")
    out = []
    for name, rows in pooled.groupby(group, sort=False):
        out.append({"group": name, **_group_row(rows, criteria)})
    frame = pd.DataFrame(out)
    first = list(COLUMNS)
    return frame[first + [c for c in frame.columns if c not in first]]


def counterexamples(tables: pd.DataFrame | Sequence[pd.DataFrame], *,
                    group: str = "group") -> pd.DataFrame:
    """Seeds that contradict the hypothesis, by run and seed.

    ``grokked without passing LEHC`` (a grokked seed of a run that keeps its complexity
    term, with ``passed_lehc`` false), ``passed LEHC, never generalised`` (validation never
    crossed), and ``ablation reached LELC`` (an ok seed of a run without its complexity
    term).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"group": "g", "run": ["a", "a", "b"], "seed": [0, 1, 0],
    ...     "status": "ok", "keeps_complexity": [True, True, False],
    ...     "grokked": [True, False, False], "passed_lehc": [False, True, False],
    ...     "reached_lelc": [False, True, True], "val_onset": [9.0, None, None]})
    >>> print(counterexamples(rows)[["run", "seed", "kind"]].to_string(index=False))
    run  seed                           kind
      a     0   grokked without passing LEHC
      a     1 passed LEHC, never generalised
      b     0          ablation reached LELC
    """
    pooled = _pooled(tables)
    ok = pooled["status"].astype(str) == "ok"
    keeps = pooled["keeps_complexity"].astype(bool)
    grokked = pooled["grokked"].astype(bool)
    passed = pooled["passed_lehc"].astype(bool)
    kinds = pd.Series("", index=pooled.index, dtype=object)
    kinds[ok & keeps & grokked & ~passed] = "grokked without passing LEHC"
    never = ~np.isfinite(pooled["val_onset"].astype(float)) if "val_onset" in pooled else True
    kinds[ok & keeps & ~grokked & passed & never] = "passed LEHC, never generalised"
    kinds[ok & ~keeps & pooled["reached_lelc"].astype(bool)] = "ablation reached LELC"
    picked = pooled[kinds != ""].assign(kind=kinds[kinds != ""])
    leading = [c for c in ("study", group, "run", "seed", "kind") if c in picked.columns]
    rest = [c for c in ("train_onset", "val_onset", "gap", "lehc_entry", "lehc_exit",
                        "lehc_dwell") if c in picked.columns]
    return picked[leading + rest].reset_index(drop=True)
