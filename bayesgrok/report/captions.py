"""What each figure of a result folder shows: one caption per file name or pattern.

The table :data:`FIGURES` is also the order in which a report shows figures; a figure no
entry matches comes last, with a caption made from its name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: (pattern, caption): a pattern is a regular expression matched against the whole file
#: name; its named groups fill the caption's ``{fields}``.
FIGURES: tuple[tuple[str, str], ...] = (
    (r"accuracy\.png",
     "Training and validation accuracy against step, one panel per run: the mean over seeds "
     "as a line, the spread over seeds as a band, each seed as a thin line, the threshold "
     "dotted and the mean onsets dashed (over the seeds that crossed, their number in the "
     "legend). Regression studies show training and validation MSE instead. The step axis "
     "is linear on [0, 1] and logarithmic beyond."),
    (r"error_complexity\.png",
     "Error against complexity, one panel per group of runs (family, by default: their terms "
     "are not on a common scale) and one line per seed, coloured by its run; a dot marks "
     "where each search starts; seeds that never generalise are dashed and lighter."),
    (r"regions_paths\.png",
     "Every seed's path through the error-complexity plane (complexity against the training "
     "error of the low-error test), one panel per group, over the four shaded regions: HEHC "
     "grey, HELC blue, LEHC orange, LELC green. Circle: start; diamond: LEHC exit; star: "
     "validation onset; dashed: never generalises."),
    (r"regions_timeline\.png",
     "The region of every logged step against the step, one strip per run and seed (HEHC "
     "grey, HELC blue, LEHC orange, LELC green); a black tick marks the validation onset."),
    (r"dwell_gap\.png",
     "The LEHC dwell of every seed that grokked against its grokking gap, coloured by group, "
     "with the line dwell = gap dotted and each group's Spearman rank correlation in the "
     "legend: the hypothesis says the two track each other."),
    (r"terms\.png",
     "The mean over seeds of the error (left) and of the complexity (right) against epoch "
     "(or step), one line per run, coloured by a swept value when there is one."),
    (r"probe_(?P<name>.+)\.png",
     "The probe '{name}' against step: the mean over seeds of each element of its own "
     "dimension (a weight per feature, an inverse lengthscale per input dimension, a value "
     "per layer), one panel per run."),
    (r"stages\.png",
     "Training and validation accuracy of one seed with each surge of validation accuracy "
     "shaded and numbered (the generalisation stages) and, below, the feature rank of "
     "every layer with the onsets of its descents dotted."),
    (r"concealment\.png",
     "The grokking gap against the number of concealing dimensions l on a log axis, per "
     "group, with the fitted gap = b exp(a l); hollow markers are censored gaps (a seed "
     "never generalised)."),
    (r"landscape\.png",
     "Error, complexity and their sum on a grid of two of the family's coordinates, with "
     "each trajectory drawn over them (start: white circle, end: white cross)."),
    (r"metrics\.png",
     "Each robustness metric against step, one panel per metric and one colour per run: "
     "the mean over seeds, the spread as a band, the mean validation onset dashed."),
    (r"timeliness\.png",
     "Each metric, min-max normalised, against step, one panel per run: a marker at its "
     "sharpest change, the validation onset dashed, validation accuracy in grey."),
    (r"prediction\.png",
     "ROC curves of each metric's early features (level, trend) as predictors of whether "
     "a seed groks, with the area under each curve in the legend."),
    (r"(?P<run>.+)_trace\.png",
     "Trace and marginal posterior of the NUTS draws of run {run} (ArviZ), one chain per "
     "seed."),
    (r"(?P<run>.+)_rank\.png",
     "Rank plots of the NUTS draws of run {run} (ArviZ): flat histograms mean the chains "
     "mixed."),
    (r"(?P<run>.+)_posterior_step(?P<step>\d+)\.png",
     "The variational posterior of run {run} drawn at step {step} (ArviZ; at most eight "
     "scalar quantities, seeds as chains)."),
)


def _match(name: str) -> tuple[int, str] | None:
    for index, (pattern, text) in enumerate(FIGURES):
        found = re.fullmatch(pattern, name)
        if found:
            return index, text.format(**found.groupdict())
    return None


def caption(name: str) -> str:
    """The caption of the figure file ``name`` (a generic one made from an unknown name).

    Examples
    --------
    >>> caption("probe_weights.png")[:26]
    "The probe 'weights' agains"
    >>> caption("run-ab12_rank.png")[:30]
    'Rank plots of the NUTS draws o'
    >>> caption("loss_surface.png")
    'Figure: loss surface.'
    """
    found = _match(name)
    if found is not None:
        return found[1]
    stem = name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").strip()
    return f"Figure: {stem}."


def figure_order(names: Iterable[str]) -> list[str]:
    """``names`` in the order a report shows them: that of :data:`FIGURES`, then the rest
    alphabetically.

    Examples
    --------
    >>> figure_order(["zeta.png", "terms.png", "accuracy.png", "probe_w.png"])
    ['accuracy.png', 'terms.png', 'probe_w.png', 'zeta.png']
    """
    def key(name: str) -> tuple[int, str]:
        found = _match(name)
        return (found[0] if found is not None else len(FIGURES), name)

    return sorted(names, key=key)
