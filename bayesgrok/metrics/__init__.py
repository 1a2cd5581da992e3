"""Measurements of a network beyond its error: parameter norms, feature ranks, linear probes.

One concept per module:

* :mod:`bayesgrok.metrics.norms`: :func:`weight_norm`, :func:`last_layer_norm`;
* :mod:`bayesgrok.metrics.rank`: :func:`linear_outputs`, :func:`feature_rank`,
  :func:`feature_ranks`, :func:`tunnel_length` (REFERENCE B2);
* :mod:`bayesgrok.metrics.linear_probe`: :func:`linear_probe_accuracy`,
  :func:`linear_probe_accuracies` (REFERENCE B3).
"""

from bayesgrok.metrics.linear_probe import linear_probe_accuracies, linear_probe_accuracy
from bayesgrok.metrics.norms import last_layer_norm, last_linear, weight_norm
from bayesgrok.metrics.rank import feature_rank, feature_ranks, linear_outputs, tunnel_length

__all__ = [
    "feature_rank",
    "feature_ranks",
    "last_layer_norm",
    "last_linear",
    "linear_outputs",
    "linear_probe_accuracies",
    "linear_probe_accuracy",
    "tunnel_length",
    "weight_norm",
]
