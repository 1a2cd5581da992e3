"""The contract every PyTorch family meets.

A torch family builds a ``torch.nn.Module`` from a split and a seed and says how to measure
it: ``error(model, x, y)`` (per data point), ``complexity(model)`` (the squared L2 norm of
all parameters by default), ``predict(model, x)``, optional ``probes(model, split)``
(cheap, at every logged step) and optional ``metrics(model, split, data)`` (expensive,
only at the steps of the search's ``metrics_log``; NaN at the other logged steps).

Every capability an engine may use is declared here, with its default, as an attribute or
method of :class:`TorchFamily`: engines read these and nothing else. Families import this
module, never an engine.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

import numpy as np
import torch

from bayesgrok.search.formula import constructor_arguments, objective_formula
from bayesgrok.tasks.split import Split

Probes: TypeAlias = dict[str, tuple[tuple[str, ...], np.ndarray]]
"""Extra measurements: ``{name: (extra dims, array)}``."""

DTYPES = {"float32": torch.float32, "float64": torch.float64}
"""Precision name -> torch dtype."""


class TorchFamily:
    """Base class for families run by the PyTorch engine.

    Subclasses implement :meth:`build`, :meth:`error` and :meth:`predict`; they inherit
    the complexity (squared L2 norm of all parameters), the objective
    ``error + complexity_weight * complexity`` and an empty set of probes.

    Parameters
    ----------
    complexity_weight
        Weight of the complexity term in the objective (``0``: the objective is the error;
        the complexity is still recorded).
    precision
        ``"float32"`` or ``"float64"``: the dtype of the model and the data.

    Attributes
    ----------
    vectorize_seeds
        ``False`` here. A subclass sets it ``True`` when its :meth:`objective` is a pure
        function of the model's parameters and buffers, evaluated through ``model(x)`` and
        ``model.parameters()`` (no in-place parameter updates, no randomness, no
        data-dependent Python control flow): then the engine trains the seeds of a
        multi-seed run together with ``torch.func`` (see
        :mod:`bayesgrok.search.torch_batched`) instead of one after another.

    Examples
    --------
    >>> import torch
    >>> class Line(TorchFamily):
    ...     name = "line"
    ...     def build(self, split, seed): return torch.nn.Linear(1, 1, bias=False)
    ...     def error(self, model, x, y): return torch.mean((model(x)[:, 0] - y) ** 2)
    ...     def predict(self, model, x): return model(x)[:, 0]
    >>> fam = Line(complexity_weight=0.5)
    >>> model = fam.build(None, 0)
    >>> with torch.no_grad():
    ...     _ = model.weight.fill_(2.0)
    >>> fam.objective(model, torch.ones(3, 1), torch.zeros(3)).item()
    6.0
    >>> fam.objective_formula
    'error + 0.5 * complexity'
    """

    name: str = "torch_family"
    backend: str = "torch"
    vectorize_seeds: bool = False
    objective_note: str = ""
    """What the recorded error is, in words (stored in the trajectory's attributes)."""
    takes_metrics: bool = True
    """Whether :meth:`metrics` can be scheduled by the search's ``metrics_log``."""
    metric_names: tuple[str, ...] | None = None
    """The expensive metrics the family was asked for (``None``: it takes no names)."""
    takes_methods: bool = True
    """Whether it trains under the search's methods (perturbation, commutativity penalty)."""
    samplable: bool = False
    """Torch families have no NumPyro model to sample (declared as the JAX contract does)."""
    coordinates: tuple[str, ...] = ()
    """Named scalar coordinates of the parameters (none)."""

    def __init__(self, complexity_weight: float = 0.0, precision: str = "float32") -> None:
        if precision not in DTYPES:
            raise ValueError(f"precision must be one of {', '.join(DTYPES)}, got {precision!r}")
        self.complexity_weight = float(complexity_weight)
        self.precision = precision

    @property
    def dtype(self) -> torch.dtype:
        """The torch dtype of :attr:`precision`.

        Examples
        --------
        >>> TorchFamily(precision="float64").dtype
        torch.float64
        """
        return DTYPES[self.precision]

    def build(self, split: Split, seed: int) -> torch.nn.Module:  # pragma: no cover - abstract
        """A freshly initialised model for ``split``, deterministic given ``seed``."""
        raise NotImplementedError

    def error(self, model: torch.nn.Module, x: torch.Tensor,
              y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """The data-fit term, per data point of ``(x, y)``."""
        raise NotImplementedError

    # --- hooks of the training methods and robustness metrics (REFERENCE C) ------------

    noise_at: str = "inputs"
    """Where :meth:`logits` adds noise: ``"inputs"`` (default) or ``"embeddings"``."""
    metric_noise: float = 0.1
    """Noise level of the robustness metrics (set from the search's ``metrics_noise``)."""
    entropy_alpha: float = 1.0
    """Renyi order of the information metrics (1: von Neumann)."""

    def logits(self, model: torch.nn.Module, x: torch.Tensor, *, noise: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """The model's raw outputs on ``x``; with ``noise > 0``, on ``x + N(0, noise^2)``
        (noise drawn from ``generator``). Families with token inputs override this to add
        the noise to their embeddings instead.

        Examples
        --------
        >>> import torch
        >>> lin = torch.nn.Linear(2, 1)
        >>> fam = TorchFamily()
        >>> x = torch.zeros(3, 2)
        >>> torch.equal(fam.logits(lin, x), lin(x))
        True
        >>> g = torch.Generator().manual_seed(0)
        >>> bool((fam.logits(lin, x, noise=1.0, generator=g) != lin(x)).any())
        True
        """
        if noise > 0.0:
            x = x + noise * torch.randn(x.shape, generator=generator,  # the seed's draws,
                                        dtype=x.dtype).to(x.device)    # on any device
        return model(x)

    def loss_of(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The data-fit term from the outputs ``out`` of :meth:`logits` (default:
        cross-entropy for integer labels, mean squared error otherwise).

        Examples
        --------
        >>> import torch
        >>> round(TorchFamily().loss_of(torch.zeros(2, 2), torch.tensor([0, 1])).item(), 4)
        0.6931
        """
        if y.is_floating_point():
            return torch.nn.functional.mse_loss(out.reshape(y.shape), y)
        return torch.nn.functional.cross_entropy(out, y)

    def swap_operands(self, x: torch.Tensor, split: Split) -> torch.Tensor:
        """``x`` with the operands ``a`` and ``b`` exchanged: the split's operand columns
        hold ``a`` then ``b`` in two equal halves (one-hot ``a ++ b``), which are swapped.

        Raises
        ------
        ValueError
            If the split has no operand columns, or an odd number of them.

        Examples
        --------
        >>> import numpy as np, torch
        >>> from bayesgrok.tasks.split import Split
        >>> s = Split("m", np.zeros((1, 5)), np.zeros(1, int), np.zeros((1, 5)),
        ...           np.zeros(1, int), kind="classification", n_classes=2,
        ...           operand_columns=(0, 1, 2, 3))
        >>> TorchFamily().swap_operands(torch.tensor([[1., 0., 0., 1., 7.]]), s)
        tensor([[0., 1., 1., 0., 7.]])
        """
        cols = list(split.operand_columns)
        if not cols or len(cols) % 2:
            raise ValueError(f"task {split.name!r} has no pair of operands to swap "
                             f"(operand columns: {cols})")
        half = len(cols) // 2
        out = x.clone()
        out[:, cols[:half]] = x[:, cols[half:]]
        out[:, cols[half:]] = x[:, cols[:half]]
        return out

    def features(self, model: torch.nn.Module, x: torch.Tensor, *, noise: float = 0.0,
                 generator: torch.Generator | None = None
                 ) -> torch.Tensor:  # pragma: no cover - abstract
        """The penultimate representation ``(n, k)`` of ``x`` (for information metrics),
        with noise of level ``noise`` where :meth:`logits` puts it."""
        raise NotImplementedError(f"family {self.name!r} does not expose its features")

    def predict(self, model: torch.nn.Module,
                x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """Class probabilities (or scores) ``(n, C)``, or regression outputs ``(n,)``."""
        raise NotImplementedError

    def complexity(self, model: torch.nn.Module) -> torch.Tensor:
        """Squared L2 norm of all parameters.

        Examples
        --------
        >>> import torch
        >>> lin = torch.nn.Linear(2, 1)
        >>> with torch.no_grad():
        ...     _ = lin.weight.fill_(1.0); _ = lin.bias.fill_(2.0)
        >>> TorchFamily().complexity(lin).item()
        6.0
        """
        return sum(torch.sum(p**2) for p in model.parameters())

    def objective(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What the search minimises: ``error + complexity_weight * complexity``."""
        err = self.error(model, x, y)
        if self.complexity_weight == 0.0:
            return err
        return err + self.complexity_weight * self.complexity(model)

    def error_and_prediction(self, model: torch.nn.Module, x: torch.Tensor,
                             y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`error` and :meth:`predict` on ``(x, y)``, as the engine measures them at
        a logged step. By default two forward passes; a family whose error and prediction
        come from the same outputs overrides this with one (the MLP and the transformer
        do), with values equal to the two calls.

        Examples
        --------
        >>> class Line(TorchFamily):
        ...     def error(self, model, x, y): return torch.mean((model(x)[:, 0] - y) ** 2)
        ...     def predict(self, model, x): return model(x)[:, 0]
        >>> lin = torch.nn.Linear(1, 1)
        >>> err, pred = Line().error_and_prediction(lin, torch.ones(3, 1), torch.zeros(3))
        >>> pred.shape
        torch.Size([3])
        """
        return self.error(model, x, y), self.predict(model, x)

    def measured_objective(self, error: torch.Tensor, complexity: torch.Tensor) -> torch.Tensor:
        """The recorded objective from the measured error and complexity, equal to
        :meth:`objective` on the full training set without evaluating the model again. A
        family that overrides :meth:`objective` overrides this too.

        Examples
        --------
        >>> TorchFamily(complexity_weight=0.5).measured_objective(torch.tensor(1.0),
        ...                                                       torch.tensor(4.0)).item()
        3.0
        """
        if self.complexity_weight == 0.0:
            return error
        return error + self.complexity_weight * complexity

    @property
    def objective_formula(self) -> str:
        """Human-readable objective, stored in every trajectory's attributes."""
        return objective_formula(self.complexity_weight)

    def probes(self, model: torch.nn.Module, split: Split) -> Probes:
        """Extra measurements at each logged step (none by default)."""
        return {}

    def metrics(self, model: torch.nn.Module, split: Split,
                data: dict[str, torch.Tensor]) -> Probes:
        """Expensive measurements, taken only at the steps of the search's ``metrics_log``
        (none by default).

        ``data`` holds the split's tensors ``x_train``, ``y_train``, ``x_val`` and
        ``y_val`` in the family's precision. Return ``{name: (extra dims, array)}`` as
        :meth:`probes` does, with the same names and shapes at every call; the engine
        records NaN at the logged steps outside ``metrics_log``.

        Examples
        --------
        >>> TorchFamily().metrics(None, None, {})
        {}
        """
        return {}

    def check_task(self, task: Any) -> None:
        """Refuse a task this family cannot run, before any work (as the JAX contract's
        ``check_task``); the default accepts every task.

        Examples
        --------
        >>> TorchFamily().check_task(None)
        """

    def frozen(self, model: torch.nn.Module) -> set[str]:
        """Names (as in ``model.named_parameters()``) of the parameters the search must not
        move (default: none). The optimizer never sees them, so no weight decay moves
        them either; their gradients are still computed.

        Examples
        --------
        >>> TorchFamily().frozen(torch.nn.Linear(2, 1))
        set()
        """
        return set()

    def config(self) -> dict[str, Any]:
        """The family's hyperparameters, recorded in the trajectory: every argument of its
        constructor that it holds as an attribute of the same name (a family overrides
        this only for arguments it stores otherwise).

        Examples
        --------
        >>> from bayesgrok.families.linear import LinearRegression
        >>> LinearRegression(noise_variance=0.01).config()["noise_variance"]
        0.01
        """
        return constructor_arguments(self)


    def program_key(self) -> str:
        """What runs trained together must share: the family's class and every
        hyperparameter (one family object computes the objective of a whole group, see
        :func:`bayesgrok.search.torch_engine.run_group`).

        Examples
        --------
        >>> from bayesgrok.families.mlp import MLP
        >>> MLP(widths=[8]).program_key() == MLP(widths=[8]).program_key()
        True
        >>> MLP(widths=[8]).program_key() == MLP(widths=[16]).program_key()
        False
        """
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}:" + json.dumps(
            self.config(), sort_keys=True, default=repr)
