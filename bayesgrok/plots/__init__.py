"""bayesgrok.plots: matplotlib figures, each a function of a trajectory or study dataset.

Figures are made with :class:`matplotlib.figure.Figure` directly (no pyplot, no global
state, no backend to choose); each function returns its figure and saves it as PNG when
given a path.
"""

from bayesgrok.plots.concealment import plot_concealment
from bayesgrok.plots.curves import plot_accuracy
from bayesgrok.plots.dwell_gap import plot_dwell_gap
from bayesgrok.plots.error_complexity import plot_error_complexity
from bayesgrok.plots.prediction import plot_prediction, plot_timeliness
from bayesgrok.plots.regions import plot_region_paths, plot_region_timeline
from bayesgrok.plots.stages import plot_stages
from bayesgrok.plots.terms import plot_terms

__all__ = ["plot_accuracy", "plot_concealment", "plot_dwell_gap", "plot_error_complexity",
           "plot_prediction", "plot_region_paths", "plot_region_timeline", "plot_stages",
           "plot_terms", "plot_timeliness"]
