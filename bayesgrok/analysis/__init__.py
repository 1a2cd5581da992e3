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
from bayesgrok.analysis.summary import summarize, summary_table, swept_parameters

__all__ = [
    "concealment_fit",
    "concealment_table",
    "crossed",
    "final_values",
    "fit_exponential_gap",
    "grokking_gap",
    "onset",
    "summarize",
    "summary_table",
    "swept_parameters",
]
