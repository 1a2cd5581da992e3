"""Multilayer perceptrons in PyTorch (REFERENCE B1, D1 and A4).

``MLP`` is a stack of Linear layers ``n_features -> widths... -> n_classes`` with an
activation between them. Two recipes are covered:

* Omnigrok / Deep Grokking (D1, B1): PyTorch's default initialisation with every
  parameter then multiplied by ``alpha`` (8), MSE against one-hot labels, AdamW with its
  decoupled weight decay (so ``complexity_weight = 0``), float64.
* Miller et al.'s concealment MLP (A4): Xavier-uniform weights, no bias on the last
  layer, cross-entropy, SGD with weight decay.

Error is per data point: ``mse_onehot`` is ``torch.nn.MSELoss`` (mean over points and
outputs, as Omnigrok's code); ``cross_entropy`` is the mean cross-entropy. Complexity is
the squared L2 norm of all parameters.

At every logged step the family records the weight norm and the last layer's norm
(:mod:`bayesgrok.metrics.norms`). On request (``metrics``) it also records, at the steps of
the search's ``metrics_log``, Deep Grokking's feature ranks and tunnel length (B2,
:mod:`bayesgrok.metrics.rank`) and linear-probe accuracies (B3,
:mod:`bayesgrok.metrics.linear_probe`), one value per Linear layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from bayesgrok.metrics.linear_probe import linear_probe_accuracies
from bayesgrok.metrics.norms import last_layer_norm, weight_norm
from bayesgrok.metrics.rank import feature_ranks, tunnel_length
from bayesgrok.metrics.suite import ROBUSTNESS_METRICS, check_metric_names, robustness_metrics
from bayesgrok.search.torch_contract import Probes, TorchFamily
from bayesgrok.search.torch_device import to_device
from bayesgrok.tasks.split import Split

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}
INITS = ("default", "xavier_uniform")
LOSSES = ("mse_onehot", "cross_entropy")
METRICS = ("feature_rank", "linear_probe", *ROBUSTNESS_METRICS)
"""The expensive measurements an MLP can take at the steps of ``search.metrics_log``."""


class Net(nn.Module):
    """Linear layers with an activation between them; ``layers`` holds the Linear layers.

    Examples
    --------
    >>> net = Net([3, 5, 2], "relu", bias=True, last_bias=False)
    >>> net(torch.zeros(4, 3)).shape, net.layers[-1].bias is None
    (torch.Size([4, 2]), True)
    """

    def __init__(self, sizes: Sequence[int], activation: str, bias: bool = True,
                 last_bias: bool = True) -> None:
        super().__init__()
        n = len(sizes) - 1
        self.layers = nn.ModuleList(
            nn.Linear(sizes[i], sizes[i + 1], bias=(last_bias if i == n - 1 else bias))
            for i in range(n)
        )
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The network's outputs (logits or regression outputs)."""
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class MLP(TorchFamily):
    """A multilayer perceptron family run by the PyTorch engine.

    Parameters
    ----------
    widths
        Hidden widths; the network has ``len(widths) + 1`` Linear layers.
    activation
        ``"relu"``, ``"tanh"`` or ``"gelu"``.
    init
        ``"default"`` (PyTorch's own initialisation) or ``"xavier_uniform"`` (weights
        Xavier-uniform, biases PyTorch's default; A4).
    alpha
        Every parameter (weights and biases) is multiplied by ``alpha`` after
        initialisation (B1, D1: 8).
    bias, last_bias
        Biases on the hidden layers and on the last layer (A4 has none on the last).
    loss
        ``"mse_onehot"`` (MSE against one-hot labels, B1, D1) or ``"cross_entropy"`` (A4).
        Regression tasks always use the MSE of a single output.
    complexity_weight
        Weight of the squared L2 norm in the objective (0 when the decay lives in the
        optimizer, as with AdamW).
    precision
        ``"float32"`` or ``"float64"``.
    metrics
        Expensive measurements taken at the steps of the search's ``metrics_log`` (see
        :meth:`metrics`): ``"feature_rank"`` (B2: ``feature_rank`` per layer and
        ``tunnel_length``), ``"linear_probe"`` (B3: ``linear_probe_accuracy`` per layer;
        classification tasks only), and the robustness metrics of REFERENCE C
        (``"sharpness"``, ``"perturbation"``, ``"abelian"``, ``"information"``: see
        :mod:`bayesgrok.metrics.suite`; their noise level is the search's
        ``metrics_noise``). Default: none.
    tunnel_threshold
        A layer is in the tunnel when its feature rank is below this (B2: 300).

    Examples
    --------
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> fam = MLP(widths=[8, 8], alpha=2.0, loss="cross_entropy")
    >>> model = fam.build(split, seed=0)
    >>> [tuple(layer.weight.shape) for layer in model.layers]
    [(8, 3), (8, 8), (2, 8)]
    >>> x = torch.as_tensor(split.x_train, dtype=torch.float32)
    >>> fam.predict(model, x).shape
    torch.Size([10, 2])
    """

    name = "mlp"
    vectorize_seeds = True  # the objective is functional: seeds train together (torch_batched)

    def __init__(
        self,
        widths: Sequence[int] = (200, 200),
        activation: str = "relu",
        init: str = "default",
        alpha: float = 1.0,
        bias: bool = True,
        last_bias: bool = True,
        loss: str = "mse_onehot",
        complexity_weight: float = 0.0,
        precision: str = "float32",
        metrics: Sequence[str] = (),
        tunnel_threshold: float = 300.0,
    ) -> None:
        super().__init__(complexity_weight=complexity_weight, precision=precision)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        if any(int(w) < 1 for w in widths):
            raise ValueError(f"widths must be positive integers, got {list(widths)}")
        self.metric_names = check_metric_names(metrics, METRICS)
        self.tunnel_threshold = float(tunnel_threshold)
        self.widths = tuple(int(w) for w in widths)
        self.activation, self.init, self.loss = activation, init, loss
        self.alpha, self.bias, self.last_bias = float(alpha), bool(bias), bool(last_bias)
        self._regression = False

    def build(self, split: Split, seed: int) -> Net:
        """A freshly initialised network for ``split``; the same ``seed`` gives the same
        network (the global RNG is left untouched).

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
        >>> a, b = MLP(widths=[4]).build(split, 3), MLP(widths=[4]).build(split, 3)
        >>> bool(torch.equal(a.layers[0].weight, b.layers[0].weight))
        True
        """
        self._regression = split.kind == "regression"
        if "linear_probe" in self.metric_names and split.kind != "classification":
            raise ValueError(f"metrics: linear_probe needs a classification task, and "
                             f"{split.name!r} is a {split.kind}")
        n_out = 1 if self._regression else int(split.n_classes)
        sizes = [split.n_features, *self.widths, n_out]
        # drawn directly in the model's dtype, as the published float64 code does (it sets
        # torch's default dtype before building the layers): a float64 draw is not a
        # float32 draw cast up
        default = torch.get_default_dtype()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            torch.set_default_dtype(_dtype(self.precision))
            try:
                net = Net(sizes, self.activation, self.bias, self.last_bias)
                if self.init == "xavier_uniform":
                    for layer in net.layers:
                        nn.init.xavier_uniform_(layer.weight)
            finally:
                torch.set_default_dtype(default)
        with torch.no_grad():
            for p in net.parameters():
                p.mul_(self.alpha)
        return net.to(_dtype(self.precision))

    def error(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-data-point loss: MSE against one-hot labels, cross-entropy, or the MSE of
        a regression output.

        Examples
        --------
        >>> fam = MLP(widths=[2], loss="cross_entropy")
        >>> model = torch.nn.Linear(2, 2)
        >>> with torch.no_grad():
        ...     _ = model.weight.zero_(); _ = model.bias.zero_()
        >>> err = fam.error(model, torch.ones(3, 2), torch.tensor([0, 1, 1]))
        >>> round(err.item(), 4)
        0.6931
        """
        return self.loss_of(model(x), y)

    def loss_of(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The loss of outputs ``out`` against ``y`` (what :meth:`error` computes).

        Examples
        --------
        >>> fam = MLP(widths=[2])  # MSE against one-hot labels
        >>> fam.loss_of(torch.tensor([[1.0, 0.0]]), torch.tensor([0])).item()
        0.0
        """
        if self._regression or y.is_floating_point():
            return F.mse_loss(out[:, 0], y)
        if self.loss == "cross_entropy":
            return F.cross_entropy(out, y)
        target = F.one_hot(y, out.shape[-1]).to(out.dtype)
        return F.mse_loss(out, target)

    def features(self, model: nn.Module, x: torch.Tensor, *, noise: float = 0.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """The last hidden layer's activations ``(n, widths[-1])`` (the inputs when there
        is no hidden layer): the penultimate representation; with ``noise > 0``, of
        ``x + N(0, noise^2)``.

        Examples
        --------
        >>> net = Net([3, 5, 2], "relu")
        >>> MLP(widths=[5]).features(net, torch.zeros(4, 3)).shape
        torch.Size([4, 5])
        """
        if noise > 0.0:
            x = x + noise * to_device(torch.randn(x.shape, generator=generator,
                                                  dtype=x.dtype), x.device)
        for layer in model.layers[:-1]:
            x = model.activation(layer(x))
        return x

    def predict(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities (cross-entropy), raw outputs (one-hot MSE; their argmax
        is the class) or the regression output ``(n,)``.

        Examples
        --------
        >>> fam = MLP(widths=[2], loss="cross_entropy")
        >>> fam.predict(torch.nn.Linear(2, 3), torch.ones(4, 2)).sum(dim=-1).shape
        torch.Size([4])
        """
        return self._prediction_of(model(x))

    def _prediction_of(self, out: torch.Tensor) -> torch.Tensor:
        if self._regression:
            return out[:, 0]
        if self.loss == "cross_entropy":
            return torch.softmax(out, dim=-1)
        return out

    def error_and_prediction(self, model: nn.Module, x: torch.Tensor,
                             y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`error` and :meth:`predict` from one forward pass.

        Examples
        --------
        >>> fam = MLP(widths=[2], loss="cross_entropy")
        >>> net = torch.nn.Linear(2, 3)
        >>> x, y = torch.ones(4, 2), torch.tensor([0, 1, 2, 0])
        >>> err, pred = fam.error_and_prediction(net, x, y)
        >>> torch.equal(err, fam.error(net, x, y)), torch.equal(pred, fam.predict(net, x))
        (True, True)
        """
        out = model(x)
        return self.loss_of(out, y), self._prediction_of(out)

    def probes(self, model: nn.Module, split: Split) -> Probes:
        """``weight_norm`` (L2 norm of all parameters) and ``last_layer_norm`` (of the
        last Linear layer's weights and bias).

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
        >>> fam = MLP(widths=[4])
        >>> sorted(fam.probes(fam.build(split, 0), split))
        ['last_layer_norm', 'weight_norm']
        """
        return {"weight_norm": ((), weight_norm(model).cpu().numpy()),
                "last_layer_norm": ((), last_layer_norm(model).cpu().numpy())}

    def metrics(self, model: nn.Module, split: Split, data: dict[str, torch.Tensor]) -> Probes:
        """The expensive measurements named in ``metrics``, one value per Linear layer.

        * ``"feature_rank"``: ``feature_rank`` (dims ``layer``), the numerical rank of the
          covariance of each Linear layer's outputs (before the activation) on the
          validation (evaluation) set, and ``tunnel_length``, the number of layers whose
          rank is below ``tunnel_threshold`` (B2);
        * ``"linear_probe"``: ``linear_probe_accuracy`` (dims ``layer``), the validation
          accuracy of a linear classifier fitted to each layer's outputs on the training
          set (B3: 30 epochs of Adam 1e-3, batches of 512, penalty 1e-3, probe seed 0).

        Layer ``k`` is the ``k``-th Linear layer (``0`` the first, the last the output).

        Parameters
        ----------
        model
            The network.
        split
            The task's split.
        data
            Its tensors ``x_train``, ``y_train``, ``x_val``, ``y_val`` in the model's dtype.

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> from bayesgrok.search.torch_seed import build_model
        >>> split = make_task("parity", seed=0, n_points=60, n_train=30)
        >>> fam = MLP(widths=[6, 6], metrics=["feature_rank", "linear_probe"])
        >>> model = build_model(fam, split, 0)
        >>> data = {k: torch.as_tensor(getattr(split, k), dtype=torch.float32)
        ...         for k in ("x_train", "x_val")}
        >>> data |= {k: torch.as_tensor(getattr(split, k)) for k in ("y_train", "y_val")}
        >>> out = fam.metrics(model, split, data)
        >>> for name, (dims, value) in out.items():
        ...     print(name, dims, value.shape)
        feature_rank ('layer',) (3,)
        tunnel_length () ()
        linear_probe_accuracy ('layer',) (3,)
        >>> out["feature_rank"][1][[0, -1]]  # the first layer sees 3 bits; the last has 2 outputs
        array([3., 2.])
        """
        out: Probes = {}
        if not self.metric_names:
            return out
        was_training = model.training
        model.eval()
        try:
            if "feature_rank" in self.metric_names:
                ranks = feature_ranks(model, data["x_val"]).astype(np.float64)
                out["feature_rank"] = (("layer",), ranks)
                out["tunnel_length"] = ((), np.asarray(
                    tunnel_length(ranks, self.tunnel_threshold), dtype=np.float64))
            if "linear_probe" in self.metric_names:
                accs = linear_probe_accuracies(model, data["x_train"], data["y_train"],
                                               data["x_val"], data["y_val"],
                                               n_classes=int(split.n_classes))
                out["linear_probe_accuracy"] = (("layer",), accs)
            out.update(robustness_metrics(self, model, split, data, self.metric_names,
                                          noise=self.metric_noise, alpha=self.entropy_alpha))
        finally:
            model.train(was_training)
        return out

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (see the contract), ``metrics`` as the names held."""
        return {**super().config(), "metrics": list(self.metric_names)}

def _dtype(precision: str) -> torch.dtype:
    return torch.float64 if precision == "float64" else torch.float32
