"""What every trajectory variable means: CF-style ``long_name``, ``units`` and a
``description`` of how it was computed, attached to every variable of every family's
trajectory (:func:`describe`).

Errors and complexities are per data point and dimensionless (negative log-likelihoods in
nats, scaled squared errors, KL divergences in nats, squared norms); their ``description``
says which, from the family's own words (``objective_note``) and the objective formula.
"""

from __future__ import annotations

import xarray as xr

_KNOWN: dict[str, tuple[str, str, str]] = {
    "error": ("training error", "1 (per training point)",
              "the data-fit term of the objective on the full training set, per point"),
    "val_error": ("validation error", "1 (per validation point)",
                  "the same data-fit term on the validation set, per point"),
    "complexity": ("complexity", "1 (per training point)",
                   "the complexity term of the objective (the family's regulariser: KL(q||p), "
                   "1/2 log|K|, a Gaussian-prior penalty or a squared weight norm), per "
                   "training point"),
    "objective": ("objective", "1 (per training point)",
                  "what the search minimises, on the full training set"),
    "train_accuracy": ("training accuracy", "1",
                       "fraction of training points predicted right (classification: argmax "
                       "of the predictive; regression with sign accuracy: sign agreement)"),
    "val_accuracy": ("validation accuracy", "1",
                     "fraction of validation points predicted right, as train_accuracy"),
    "train_mse": ("training mean squared error", "squared target units",
                  "mean squared error of the predictive mean on the training set"),
    "val_mse": ("validation mean squared error", "squared target units",
                "mean squared error of the predictive mean on the validation set"),
    "train_batch_accuracy": ("training accuracy, as published", "1",
                             "one draw per minibatch, averaged over the training steps since "
                             "the last logged step (the published code's count)"),
    "val_batch_accuracy": ("validation accuracy, as published", "1",
                           "one draw per shuffled minibatch of the validation set, averaged"),
    "status": ("status of the seed", "1", "ok, diverged (non-finite objective; measurements "
               "stop there) or failed (the run raised)"),
}


def describe(ds: xr.Dataset) -> xr.Dataset:
    """Give every data variable of a trajectory ``long_name``, ``units`` and
    ``description`` where it has none (in place; returned for chaining). The error's
    description adds the family's ``objective_note`` attribute, the objective's the
    ``objective_formula``; probes and metrics are described by name.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = describe(example())
    >>> ds["error"].attrs["long_name"], ds["train_accuracy"].attrs["units"]
    ('training error', '1')
    >>> all({"long_name", "units", "description"} <= set(v.attrs) for v in ds.data_vars.values())
    True
    """
    note = str(ds.attrs.get("objective_note", "") or "")
    formula = str(ds.attrs.get("objective_formula", "") or "")
    family = str(ds.attrs.get("family", "the family"))
    for name, var in ds.data_vars.items():
        long_name, units, description = _KNOWN.get(str(name), (
            str(name).replace("_", " "), "1",
            f"a measurement of {family} recorded at each logged step (a probe or metric of "
            "the family; see its documentation)"))
        if name == "error" and note:
            description = f"{description}: {note}"
        if name == "objective" and formula:
            description = f"{description}: {formula}"
        for key, value in (("long_name", long_name), ("units", units),
                           ("description", description)):
            var.attrs.setdefault(key, value)
    return ds
