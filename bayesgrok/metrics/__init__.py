"""Measurements of a network beyond its error: norms, ranks, probes, robustness, information.

One concept per module:

* :mod:`bayesgrok.metrics.norms`: :func:`weight_norm`, :func:`last_layer_norm`;
* :mod:`bayesgrok.metrics.rank`: :func:`linear_outputs`, :func:`feature_rank`,
  :func:`feature_ranks`, :func:`tunnel_length` (REFERENCE B2);
* :mod:`bayesgrok.metrics.linear_probe`: :func:`linear_probe_accuracy`,
  :func:`linear_probe_accuracies` (REFERENCE B3);
* :mod:`bayesgrok.metrics.sharpness`: :func:`top_hessian_eigenvalue`,
  :func:`norm_times_sharpness` (REFERENCE C1);
* :mod:`bayesgrok.metrics.robustness`: :func:`perturbation_level`,
  :func:`perturbed_accuracy_and_loss`, :func:`abelian_test`, :func:`held_out_swap_mask`
  (REFERENCE C2, C3);
* :mod:`bayesgrok.metrics.information`: :func:`gram_matrix`, :func:`matrix_renyi_entropy`,
  :func:`matrix_joint_entropy`, :func:`matrix_mutual_information`,
  :func:`information_metrics` (REFERENCE C4).
"""

from bayesgrok.metrics.information import (
    gram_matrix,
    information_metrics,
    matrix_joint_entropy,
    matrix_mutual_information,
    matrix_renyi_entropy,
)
from bayesgrok.metrics.linear_probe import linear_probe_accuracies, linear_probe_accuracy
from bayesgrok.metrics.norms import last_layer_norm, last_linear, weight_norm
from bayesgrok.metrics.rank import feature_rank, feature_ranks, linear_outputs, tunnel_length
from bayesgrok.metrics.robustness import (
    abelian_test,
    held_out_swap_mask,
    perturbation_level,
    perturbed_accuracy_and_loss,
)
from bayesgrok.metrics.sharpness import norm_times_sharpness, top_hessian_eigenvalue

__all__ = [
    "abelian_test",
    "feature_rank",
    "feature_ranks",
    "gram_matrix",
    "held_out_swap_mask",
    "information_metrics",
    "last_layer_norm",
    "last_linear",
    "linear_outputs",
    "linear_probe_accuracies",
    "linear_probe_accuracy",
    "matrix_joint_entropy",
    "matrix_mutual_information",
    "matrix_renyi_entropy",
    "norm_times_sharpness",
    "perturbation_level",
    "perturbed_accuracy_and_loss",
    "top_hessian_eigenvalue",
    "tunnel_length",
    "weight_norm",
]
