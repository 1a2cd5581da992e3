"""bayesgrok.analysis: functions of trajectories (onsets, the grokking gap, summaries).

Every function takes a trajectory or study dataset and returns a dataset (or a table),
keeping every dimension other than the one it reduces.
"""

from bayesgrok.analysis.concealment import (
    concealment_fit,
    concealment_table,
    fit_exponential_gap,
)
from bayesgrok.analysis.onsets import crossed, final_values, grokking_gap, onset
from bayesgrok.analysis.prediction import early_features, fit_step, grokked, prediction_table
from bayesgrok.analysis.rank_descents import (
    align_stages_with_rank,
    alignment_table,
    descents_table,
    rank_descents,
)
from bayesgrok.analysis.stages import generalisation_stages, stages_table
from bayesgrok.analysis.summary import summarize, summary_table, swept_parameters
from bayesgrok.analysis.timeliness import (
    change_rates,
    sharpest_change,
    timeliness,
    timeliness_table,
)

__all__ = [
    "align_stages_with_rank",
    "alignment_table",
    "change_rates",
    "concealment_fit",
    "concealment_table",
    "crossed",
    "descents_table",
    "early_features",
    "final_values",
    "fit_exponential_gap",
    "fit_step",
    "generalisation_stages",
    "grokked",
    "grokking_gap",
    "onset",
    "prediction_table",
    "rank_descents",
    "sharpest_change",
    "stages_table",
    "summarize",
    "summary_table",
    "swept_parameters",
    "timeliness",
    "timeliness_table",
]
