"""The PyTorch engine: runs any torch family through the complexity-plus-error search.

A torch family (:class:`TorchFamily`) builds an ``torch.nn.Module`` from a split and a
seed and says how to measure it: ``error(model, x, y)`` (per data point),
``complexity(model)`` (the squared L2 norm of all parameters by default),
``predict(model, x)``, optional ``probes(model, split)`` (cheap, at every logged step) and
optional ``metrics(model, split, data)`` (expensive, only at the steps of the search's
``metrics_log``; NaN at the other logged steps). The search minimises
``objective = error + complexity_weight * complexity``; with AdamW the weight decay lives
in the optimizer instead, the complexity is still recorded, and the trajectory's
attributes say so (``decay_in_optimizer`` 1, ``optimizer_decay`` describing it).

Seeds run one after another within each logging segment (a Python loop): every seed has
its own model, optimizer and minibatch stream (a ``torch.Generator`` seeded by the seed),
so a seed's trajectory does not depend on which other seeds share its run. A family with
``vectorize_seeds = True`` (the MLP) trains the seeds of a run with more than one seed
together instead, with ``torch.func`` (:mod:`bayesgrok.search.torch_batched`): same data
order, same initialisations, the same trajectories up to floating-point rounding. At every
logged step the engine measures the full training set and the full validation set under
``torch.no_grad()``. A seed whose objective becomes non-finite is recorded as
``diverged`` and stopped; the others go on. The trajectory has the schema of
:mod:`bayesgrok.trajectory`, the same as the JAX engine's.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import torch
import xarray as xr

from bayesgrok.search.config import Perturbation, SearchConfig
from bayesgrok.search.optimizers import OptimizerError
from bayesgrok.search.threads import thread_settings
from bayesgrok.tasks.split import Split
from bayesgrok.trajectory import SCHEMA_VERSION, validate

Progress = Callable[[int], None]
Probes = dict[str, tuple[tuple[str, ...], np.ndarray]]

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}
"""Optimizer name (lower case) -> ``torch.optim`` class."""

DTYPES = {"float32": torch.float32, "float64": torch.float64}


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

    def __init__(self, complexity_weight: float = 0.0, precision: str = "float32") -> None:
        if precision not in DTYPES:
            raise ValueError(f"precision must be one of {', '.join(DTYPES)}, got {precision!r}")
        self.complexity_weight = float(complexity_weight)
        self.precision = precision

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
            x = x + noise * torch.randn(x.shape, generator=generator, dtype=x.dtype)
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

    @property
    def objective_formula(self) -> str:
        """Human-readable objective, stored in every trajectory's attributes."""
        w = self.complexity_weight
        if w == 0.0:
            return "error"
        if w == 1.0:
            return "error + complexity"
        return f"error + {w:g} * complexity"

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

    def config(self) -> dict[str, Any]:
        """The family's hyperparameters, recorded in the trajectory."""
        return {"complexity_weight": self.complexity_weight, "precision": self.precision}


# --- optimizers -------------------------------------------------------------------------


def optimizer_kwargs(name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check a torch optimizer's name and arguments; return torch's keyword arguments.

    ``learning_rate`` (the optax spelling used by study files) becomes torch's ``lr``.

    Raises
    ------
    OptimizerError
        For an unknown name or argument, naming it (``optimizer`` or
        ``optimizer_args.<key>``).

    Examples
    --------
    >>> optimizer_kwargs("AdamW", {"learning_rate": 1e-3, "weight_decay": 0.01})
    {'lr': 0.001, 'weight_decay': 0.01}
    >>> optimizer_kwargs("sgd", {"lr": 0.1, "momentm": 0.9})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.search.optimizers.OptimizerError: optimizer 'sgd' takes no argument 'momentm' ...
    """
    key = name.lower()
    if key not in OPTIMIZERS:
        raise OptimizerError(f"unknown optimizer {name!r} for a torch family (known: "
                             f"{', '.join(OPTIMIZERS)})", "optimizer", name)
    args = dict(args or {})
    if "learning_rate" in args and "lr" in args:
        raise OptimizerError(f"optimizer {name!r}: give learning_rate or lr, not both",
                             "optimizer_args.lr", args["lr"])
    args = {("lr" if k == "learning_rate" else k): v for k, v in args.items()}
    known = [p for p in inspect.signature(OPTIMIZERS[key]).parameters if p != "params"]
    for arg, value in args.items():
        if arg not in known:
            raise OptimizerError(
                f"optimizer {name!r} takes no argument {arg!r} (it takes learning_rate, "
                f"{', '.join(known)})", f"optimizer_args.{arg}", value)
    try:  # torch checks values (negative lr, betas out of range) when it builds one
        OPTIMIZERS[key]([torch.zeros(1, requires_grad=True)], **args)
    except (TypeError, ValueError) as exc:
        raise OptimizerError(f"optimizer {name!r}: {exc}", "optimizer_args", args) from exc
    return args


def make_torch_optimizer(name: str, args: dict[str, Any] | None,
                         params: Any) -> torch.optim.Optimizer:
    """Build the torch optimizer ``name`` over ``params``.

    Examples
    --------
    >>> import torch
    >>> params = torch.nn.Linear(2, 1).parameters()
    >>> opt = make_torch_optimizer("adam", {"learning_rate": 1e-2}, params)
    >>> type(opt).__name__, opt.defaults["lr"]
    ('Adam', 0.01)
    """
    return OPTIMIZERS[name.lower()](params, **optimizer_kwargs(name, args))


def optimizer_decay(name: str, args: dict[str, Any] | None) -> str:
    """How the optimizer itself decays the weights, for the trajectory's attributes.

    Examples
    --------
    >>> optimizer_decay("adamw", {"weight_decay": 0.01})
    'decoupled weight decay 0.01 (AdamW): the decay lives in the optimizer, not the objective'
    >>> optimizer_decay("sgd", {})
    'none'
    """
    kwargs = optimizer_kwargs(name, args)
    key = name.lower()
    default = inspect.signature(OPTIMIZERS[key]).parameters["weight_decay"].default
    decay = float(kwargs.get("weight_decay", default))
    if decay == 0.0:
        return "none"
    if key == "adamw":
        return (f"decoupled weight decay {decay:g} (AdamW): the decay lives in the optimizer, "
                "not the objective")
    cls = OPTIMIZERS[key].__name__
    return (f"L2 weight decay {decay:g} added to the gradient by torch.optim.{cls}: not part "
            "of the recorded objective")


# --- minibatches ------------------------------------------------------------------------


class BatchStream:
    """Indices of a shuffled, cycled stream over ``n`` points, reshuffled every epoch.

    Batches run on across epoch boundaries (no point is dropped); the permutations come
    from a ``torch.Generator`` seeded by ``seed``. A batch of ``n`` gives the whole set.

    Examples
    --------
    >>> stream = BatchStream(5, 2, seed=0)
    >>> sorted(torch.cat([stream.next() for _ in range(5)])[:10].tolist())
    [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    >>> BatchStream(3, 3, seed=0).next().tolist()
    [0, 1, 2]
    """

    def __init__(self, n: int, batch: int, seed: int) -> None:
        self.n, self.batch = n, batch
        self.generator = torch.Generator().manual_seed(int(seed))
        self._order = torch.empty(0, dtype=torch.long)

    def next(self) -> torch.Tensor:
        """The indices of the next batch."""
        if self.batch >= self.n:
            return torch.arange(self.n)
        while self._order.numel() < self.batch:
            fresh = torch.randperm(self.n, generator=self.generator)
            self._order = torch.cat([self._order, fresh])
        out, self._order = self._order[: self.batch], self._order[self.batch:]
        return out


# --- one seed ---------------------------------------------------------------------------


@dataclass
class _Seed:
    """The state of one seed: its data, model, optimizer, stream and status."""

    seed: int
    split: Split
    data: dict[str, torch.Tensor]
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    stream: BatchStream
    alive: bool = True
    reason: str = ""
    records: list[dict[str, np.ndarray] | None] = field(default_factory=list)
    metric_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    methods: _Methods | None = None


@dataclass
class _Methods:
    """The training methods of one seed (REFERENCE C2, C3) and their running state."""

    perturbation: Perturbation | None
    penalty: float
    generator: torch.Generator  # the perturbation noise, seeded by the seed
    accuracy: float = 0.0  # training accuracy on the previous step's (perturbed) batch
    level: float = 0.0  # the noise level of the last step


def _methods(search: SearchConfig, seed: int) -> _Methods | None:
    if not search.uses_methods:
        return None
    generator = torch.Generator().manual_seed(int(seed) + 1_000_003)
    level = search.perturbation.level(0.0) if search.perturbation is not None else 0.0
    return _Methods(search.perturbation, float(search.commutativity_penalty), generator,
                    level=level)


def _tensors(split: Split, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    ydtype = torch.long if split.kind == "classification" else dtype
    return {
        "x_train": torch.as_tensor(split.x_train, dtype=dtype),
        "y_train": torch.as_tensor(split.y_train, dtype=ydtype),
        "x_val": torch.as_tensor(split.x_val, dtype=dtype),
        "y_val": torch.as_tensor(split.y_val, dtype=ydtype),
    }


def build_model(family: Any, split: Split, seed: int) -> torch.nn.Module:
    """``family.build(split, seed)`` under a private RNG seeded by ``seed``, in the
    family's precision; torch's global RNG and default dtype are left as they were.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> build_model(MLP(widths=[4], precision="float64"), split, 0).layers[0].weight.dtype
    torch.float64
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = family.build(split, int(seed))
    return model.to(DTYPES[getattr(family, "precision", "float32")])


def _start(family: Any, split: Split, seed: int, search: SearchConfig) -> _Seed:
    dtype = DTYPES[getattr(family, "precision", "float32")]
    model = build_model(family, split, seed)
    optimizer = make_torch_optimizer(search.optimizer, search.optimizer_args, model.parameters())
    stream = BatchStream(split.n_train, search.batch(split.n_train), seed)
    return _Seed(seed, split, _tensors(split, dtype), model, optimizer, stream,
                 methods=_methods(search, seed))


def method_objective(family: Any, state: _Seed, x: torch.Tensor,
                     y: torch.Tensor) -> torch.Tensor:
    """The objective trained under the search's methods, on one batch.

    ``loss_of(logits(x, noise=s), y) + complexity_weight * complexity
    + penalty * mean((logits(x) - logits(swap(x)))^2)``, where ``s`` is the perturbation
    level (0 without perturbation) and both logits of the penalty carry the same level of
    (independent) noise. Updates the seed's running training accuracy and level.
    """
    m = state.methods
    noise = m.perturbation.level(m.accuracy) if m.perturbation is not None else 0.0
    m.level = noise
    out = family.logits(state.model, x, noise=noise, generator=m.generator)
    loss = family.loss_of(out, y)
    if family.complexity_weight != 0.0:
        loss = loss + family.complexity_weight * family.complexity(state.model)
    if m.penalty > 0.0:
        swapped = family.logits(state.model, family.swap_operands(x, state.split),
                                noise=noise, generator=m.generator)
        loss = loss + m.penalty * torch.mean((out - swapped) ** 2)
    if not y.is_floating_point():
        m.accuracy = float((out.detach().argmax(dim=-1) == y).double().mean())
    return loss


def _advance(family: Any, state: _Seed, n: int, done: int) -> None:
    """Train one seed ``n`` steps; stop it at a non-finite objective."""
    x, y = state.data["x_train"], state.data["y_train"]
    full = state.stream.batch >= state.stream.n  # full batch: no copy of the set per step
    state.model.train()
    for t in range(n):
        idx = state.stream.next()
        xb, yb = (x, y) if full else (x[idx], y[idx])
        state.optimizer.zero_grad(set_to_none=True)
        if state.methods is None:
            loss = family.objective(state.model, xb, yb)
        else:
            loss = method_objective(family, state, xb, yb)
        if not math.isfinite(loss.item()):  # 20x cheaper than torch.isfinite on CPU
            state.alive = False
            state.reason = f"non-finite objective at step {done + t}"
            return
        loss.backward()
        state.optimizer.step()


def measure(family: Any, model: torch.nn.Module, split: Split,
            data: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Error, complexity, objective, validation error, accuracy or MSE and probes of
    ``model`` on the full training and validation sets, under ``torch.no_grad()``.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> fam = MLP(widths=[4])
    >>> model = build_model(fam, split, 0)
    >>> sorted(measure(fam, model, split, _tensors(split, torch.float32)))[:4]
    ['complexity', 'error', 'last_layer_norm', 'objective']
    """
    model.eval()
    out: dict[str, Any] = {}
    with torch.no_grad():
        out["error"] = family.error(model, data["x_train"], data["y_train"])
        out["complexity"] = family.complexity(model)
        out["objective"] = family.objective(model, data["x_train"], data["y_train"])
        out["val_error"] = family.error(model, data["x_val"], data["y_val"])
        for part in ("train", "val"):
            pred = family.predict(model, data[f"x_{part}"])
            target = data[f"y_{part}"]
            if split.kind == "classification":
                out[f"{part}_accuracy"] = (pred.argmax(dim=-1) == target).double().mean()
            else:
                out[f"{part}_mse"] = torch.mean((pred - target) ** 2)
                if split.accuracy == "sign":
                    hits = torch.sign(pred) == torch.sign(target)
                    out[f"{part}_accuracy"] = hits.double().mean()
        probes = family.probes(model, split)
    values = {k: np.asarray(torch.as_tensor(v).detach().double().numpy()) for k, v in out.items()}
    for name, (_, value) in probes.items():
        values[name] = np.asarray(torch.as_tensor(value).detach().double().numpy())
    return values


def measure_metrics(family: Any, model: torch.nn.Module, split: Split,
                    data: dict[str, torch.Tensor]) -> Probes:
    """The family's expensive ``metrics`` of ``model`` as float64 arrays, with their dims.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> fam = MLP(widths=[4], metrics=["feature_rank"])
    >>> out = measure_metrics(fam, build_model(fam, split, 0), split,
    ...                       _tensors(split, torch.float32))
    >>> out["feature_rank"][0], out["feature_rank"][1].dtype
    (('layer',), dtype('float64'))
    """
    getter = getattr(family, "metrics", None)
    if not callable(getter):
        return {}
    model.eval()
    with torch.no_grad():
        found = getter(model, split, data)
    return {name: (tuple(dims), np.asarray(torch.as_tensor(value).detach().double().numpy()))
            for name, (dims, value) in found.items()}


def _log(family: Any, state: _Seed, step: int, with_metrics: bool = False) -> None:
    if not state.alive:
        state.records.append(None)
        return
    record = measure(family, state.model, state.split, state.data)
    if state.methods is not None and state.methods.perturbation is not None:
        record["perturbation_level"] = np.asarray(state.methods.level)
    if not np.isfinite(record["objective"]):
        state.alive = False
        state.reason = state.reason or f"non-finite objective when measured at step {step}"
        record = {name: np.full(np.shape(value), np.nan) for name, value in record.items()}
    elif with_metrics:  # expensive: only at the steps of search.metrics_log
        for name, (dims, value) in measure_metrics(family, state.model, state.split,
                                                   state.data).items():
            state.metric_dims[name] = dims
            record[name] = value
    state.records.append(record)


# --- the run ----------------------------------------------------------------------------


def versions() -> dict[str, str]:
    """Versions of bayesgrok and the libraries behind a trajectory.

    Examples
    --------
    >>> "torch" in versions()
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("bayesgrok", "torch", "numpy", "xarray"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
            out[pkg] = "unknown"
    return out


def run(
    family: Any,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Run ``family`` on one split per seed; return the trajectory.

    The arguments are those of :func:`run_with_artifacts`.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> splits = [make_task("parity", seed=s, n_points=40, n_train=30) for s in (0, 1)]
    >>> cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 1e-2},
    ...                    steps=10, log={"every": 5})
    >>> dict(run(MLP(widths=[8]), splits, cfg).sizes)
    {'seed': 2, 'step': 3}
    """
    return run_with_artifacts(family, splits, search, seeds=seeds, config=config,
                              progress=progress)[0]


def run_with_artifacts(
    family: Any,
    splits: Sequence[Split],
    search: SearchConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Run ``family`` on one split per seed; return the trajectory and no artifacts.

    Parameters
    ----------
    family
        A :class:`TorchFamily`.
    splits
        One split per seed, all with the same shapes.
    search
        The search configuration (optimizer ``"sgd"``, ``"adam"`` or ``"adamw"``).
    seeds
        The seed of each split (default: each split's own ``seed``); seed ``s`` also
        initialises the model and drives the minibatch order.
    config
        The resolved configuration to record in the trajectory's attributes.
    progress
        Called with the number of steps just completed (by all seeds), for progress bars.

    Returns
    -------
    (xarray.Dataset, dict)
        The trajectory (see :mod:`bayesgrok.trajectory`) and an empty dict.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> splits = [make_task("parity", seed=0, n_points=40, n_train=30)]
    >>> cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1}, epochs=2, batch_size=10)
    >>> ds, artifacts = run_with_artifacts(MLP(widths=[8]), splits, cfg)
    >>> ds.attrs["engine"], int(ds.attrs["total_steps"]), artifacts
    ('torch', 6, {})
    """
    if not splits:
        raise ValueError("run: no splits given")
    seeds = [s.seed for s in splits] if seeds is None else [int(s) for s in seeds]
    if len(seeds) != len(splits):
        raise ValueError(f"run: {len(seeds)} seeds for {len(splits)} splits")
    first = splits[0]
    if any(s.x_train.shape != first.x_train.shape or s.x_val.shape != first.x_val.shape
           for s in splits):
        raise ValueError("all seeds of a run need the same data shapes")
    started = time.perf_counter()
    if search.metrics_noise is not None:
        family.metric_noise = float(search.metrics_noise)
    states = [_start(family, s, seed, search) for s, seed in zip(splits, seeds, strict=True)]
    steps = search.logged_steps(first.n_train)  # log and metrics_log together
    metric_steps = set(search.metrics_steps(first.n_train).tolist())
    done = 0
    from bayesgrok.search import torch_batched  # the batched path imports this module

    batch = (torch_batched.SeedBatch(family, states, search)
             if torch_batched.applies(family, states) and not search.uses_methods else None)
    for target in steps.tolist():
        if target > done:
            if batch is not None:
                batch.advance(target - done, done)
            else:
                for state in states:
                    if state.alive:
                        _advance(family, state, target - done, done)
            if progress is not None:
                progress(target - done)
            done = target
        for state in states:
            _log(family, state, done, done in metric_steps)
    wall = time.perf_counter() - started
    ds = _dataset(family, states, search, steps, config, wall)
    return validate(ds), {}


def _stack(states: Sequence[_Seed]) -> dict[str, np.ndarray]:
    # step 0 is measured for every seed; metrics only at some steps, so the shape of each
    # variable comes from the first record that has it; the others hold NaN there
    shapes: dict[str, tuple[int, ...]] = {}
    for s in states:
        for r in s.records:
            for name, value in (r or {}).items():
                shapes.setdefault(name, np.shape(value))
    out = {}
    for name, shape in shapes.items():
        blank = np.full(shape, np.nan)
        out[name] = np.stack([
            np.stack([blank if r is None or name not in r else r[name] for r in s.records])
            for s in states
        ])
    return out


def _dataset(family: Any, states: Sequence[_Seed], search: SearchConfig, steps: np.ndarray,
             config: dict[str, Any] | None, wall: float) -> xr.Dataset:
    first = states[0].split
    seeds = [s.seed for s in states]
    probe_dims = {k: tuple(d) for k, (d, _) in
                  family.probes(states[0].model, first).items()}
    metric_dims = {k: d for s in states for k, d in s.metric_dims.items()}
    probe_dims.update(metric_dims)
    if config is None:
        getter = getattr(family, "config", None)
        config = {
            "family": {"name": family.name, **(getter() if callable(getter) else {})},
            "task": {"name": first.name},
            "search": search.model_dump(),
            "seeds": seeds,
        }
    variables = {name: (("seed", "step") + probe_dims.get(name, ()), values)
                 for name, values in _stack(states).items()}
    coords: dict[str, Any] = {"seed": np.asarray(seeds, dtype=np.int64), "step": steps,
                              "epoch": ("step", search.epoch_of(steps, first.n_train))}
    ds = xr.Dataset(variables, coords=coords)
    for dim in sorted({d for dims in metric_dims.values() for d in dims} - set(ds.coords)):
        ds = ds.assign_coords({dim: np.arange(ds.sizes[dim], dtype=np.int64)})  # layer 0..L-1
    ds["status"] = ("seed", np.asarray(["ok" if s.alive else "diverged" for s in states],
                                       dtype=object))
    ds["status"].attrs["reasons"] = json.dumps({str(s.seed): s.reason for s in states
                                                if not s.alive})
    decay = optimizer_decay(search.optimizer, search.optimizer_args)
    ds.attrs = {
        "family": family.name,
        "backend": "torch",
        "task": first.name,
        "task_kind": first.kind,
        "config": json.dumps(config, sort_keys=True, default=str),
        "objective_formula": family.objective_formula,
        "objective_note": _objective_note(family, decay),
        "optimizer_decay": decay,
        "decay_in_optimizer": int(decay != "none"),
        "precision": getattr(family, "precision", "float32"),
        "engine": "torch",
        "n_train": first.n_train,
        "n_val": first.n_val,
        "spurious_columns": json.dumps([int(c) for c in first.spurious_columns]),
        "operand_columns": json.dumps([int(c) for c in first.operand_columns]),
        "total_steps": int(search.total_steps(first.n_train)),
        "metrics_steps": json.dumps(search.metrics_steps(first.n_train).tolist()),
        "training_methods": _methods_note(family, search),
        "versions": json.dumps(versions()),
        "threading": json.dumps(thread_settings()),
        "data_provenance": json.dumps(first.metadata.get("provenance", {}), default=str),
        "wall_time_s": wall,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
    }
    return ds


def _methods_note(family: Any, search: SearchConfig) -> str:
    """The training methods as JSON for the trajectory's attributes (``{}``: none)."""
    out: dict[str, Any] = {}
    if search.perturbation is not None:
        out["perturbation"] = {**search.perturbation.model_dump(),
                               "rule": "max(l1 * (1 - train accuracy of the previous batch), l2)",
                               "at": getattr(family, "noise_at", "inputs")}
    if search.commutativity_penalty > 0.0:
        out["commutativity_penalty"] = {
            "weight": search.commutativity_penalty,
            "term": "weight * mean((logits(a, b) - logits(b, a))^2)"}
    if out:
        out["recorded_objective"] = "error + complexity term, without the methods' terms"
    return json.dumps(out)


def _objective_note(family: Any, decay: str) -> str:
    note = str(getattr(family, "objective_note", ""))
    if decay == "none":
        return note
    extra = ("the optimizer also decays the weights (see optimizer_decay); the complexity "
             "(squared L2 norm of all parameters) is recorded either way")
    return f"{note}; {extra}" if note else extra
