"""A one-layer transformer for modular arithmetic (REFERENCE D2: Nanda et al.'s setting).

The input of a pair ``(a, b)`` is the token sequence ``[a, b, '=']``: the task
(:func:`~bayesgrok.tasks.modular_pairs.modular_pairs` with ``encoding="tokens"``) gives the
two operand ids as the columns of ``x`` ``(n, 2)`` and the model appends ``'='``, whose id
is ``p`` (vocabulary ``p + 1``). The network
(:class:`~bayesgrok.families.transformer_net.TransformerNet`) is

* token embedding ``W_E`` ``(p + 1, d_model)`` plus a learned positional embedding
  ``W_pos`` ``(3, d_model)``;
* one attention layer with ``n_heads`` heads of ``d_head = d_model / n_heads``, a causal
  mask, scores scaled by ``1 / sqrt(d_head)``, no biases, added to the residual stream;
* an MLP ``d_model -> d_mlp -> d_model`` with ReLU (with biases), added to the residual;
* no LayerNorm anywhere; the unembedding ``W_U`` ``(d_model, p)`` (no bias) reads the
  residual stream at the last position (the ``'='`` token) and gives ``p`` logits.

Nothing reads the other positions after the block, so training computes the attention
and the MLP at the last position only (:meth:`TransformerNet.last`, three times cheaper);
:meth:`TransformerNet.block` computes the whole stream, causal mask included, for
inspection, and agrees with it at the last position.

**Token and dtype convention.** The task stores the ids as ``int64``; the PyTorch engine
casts every ``x`` to the family's float dtype (``float32`` or ``float64``), in which ids
up to ``2**24`` are exact. The network accepts either: a floating ``x`` is rounded and
converted to ``long`` ids inside :meth:`TransformerNet.tokens`. ``x`` must have two
columns (checked by :meth:`Transformer.build`) holding ids in ``0..p-1``.

**Initialisation** (``init="nanda"``, as in Nanda et al.'s code): every weight is drawn
from ``N(0, 1/d_model)`` (``torch.randn(...) / sqrt(d_model)``: ``W_E``, ``W_pos``,
``W_Q``, ``W_K``, ``W_V``, ``W_O``, ``W_in``, ``W_out``) except the unembedding, drawn from
``N(0, 1/d_vocab)`` with ``d_vocab = p + 1`` (Nanda's unembedding has ``p + 1`` outputs;
here the ``'='`` output, never a label, is left out). The MLP biases start at zero.

The error is the mean cross-entropy of the logits, computed in float64 as Nanda's
``cross_entropy_high_precision`` (float32 log-softmax underflows on confident logits and
gives loss spikes). The weight decay of D2 lives in AdamW, so ``complexity_weight`` is 0 by
default; the complexity (squared L2 norm of all parameters) is recorded either way.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from bayesgrok.families.transformer_net import TransformerNet
from bayesgrok.metrics.norms import weight_norm
from bayesgrok.metrics.suite import ROBUSTNESS_METRICS, check_metric_names, robustness_metrics
from bayesgrok.search.torch_contract import DTYPES, Probes, TorchFamily
from bayesgrok.tasks.split import Split

INITS = ("nanda",)
"""The initialisations of :class:`Transformer`."""
NOISE_AT = ("embeddings", "inputs")
"""Where :meth:`Transformer.logits` adds noise: the embedded tokens (after the positional
embedding) or the one-hot token vectors (before the embedding matrix)."""


class Transformer(TorchFamily):
    """Nanda et al.'s one-layer transformer (REFERENCE D2), run by the PyTorch engine.

    Needs a classification task whose ``x`` holds the two operand token ids (``(n, 2)``,
    e.g. ``modular_pairs`` with ``encoding="tokens"``); see the module docstring for the
    architecture, the token convention and the initialisation.

    Parameters
    ----------
    d_model
        Width of the residual stream (D2: 128).
    n_heads
        Number of attention heads; must divide ``d_model`` (D2: 4 heads of 32).
    d_mlp
        Width of the MLP's hidden layer (D2: 512).
    init
        ``"nanda"``: weights ``N(0, 1/d_model)``, the unembedding ``N(0, 1/(p + 1))``,
        biases zero.
    precision
        ``"float32"`` or ``"float64"``.
    complexity_weight
        Weight of the squared L2 norm in the objective (0: D2's weight decay lives in
        AdamW).
    noise_at
        Where :meth:`logits` adds the perturbation noise (REFERENCE C2):
        ``"embeddings"`` (the token plus positional embeddings of all three positions) or
        ``"inputs"`` (the one-hot token vectors, before the embedding matrix).
    metrics
        Robustness metrics measured at the steps of the search's ``metrics_log``
        (:mod:`bayesgrok.metrics.suite`): ``"sharpness"``, ``"perturbation"``,
        ``"abelian"``, ``"information"``; their noise level is the search's
        ``metrics_noise``, added where ``noise_at`` says. Default: none.

    Examples
    --------
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("modular_pairs", seed=0, p=7)
    >>> fam = Transformer(d_model=16, n_heads=2, d_mlp=32)
    >>> model = fam.build(split, seed=0)
    >>> x = torch.as_tensor(split.x_train, dtype=torch.float32)
    >>> fam.predict(model, x).shape
    torch.Size([15, 7])
    """

    name = "transformer"
    objective_note = "mean cross-entropy of the logits at the last position (float64)"

    def __init__(
        self,
        d_model: int = 128,
        n_heads: int = 4,
        d_mlp: int = 512,
        init: str = "nanda",
        precision: str = "float32",
        complexity_weight: float = 0.0,
        noise_at: str = "embeddings",
        metrics: list[str] | tuple[str, ...] = (),
    ) -> None:
        super().__init__(complexity_weight=complexity_weight, precision=precision)
        for key, value in (("d_model", d_model), ("n_heads", n_heads), ("d_mlp", d_mlp)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be a positive integer, got {value!r}")
        if d_model % n_heads:
            raise ValueError(f"n_heads ({n_heads}) must divide d_model ({d_model})")
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        if noise_at not in NOISE_AT:
            raise ValueError(f"noise_at must be one of {', '.join(NOISE_AT)}, got {noise_at!r}")
        self.metric_names = check_metric_names(metrics, ROBUSTNESS_METRICS)
        self.d_model, self.n_heads, self.d_mlp = d_model, n_heads, d_mlp
        self.init, self.noise_at = init, noise_at

    def build(self, split: Split, seed: int) -> TransformerNet:
        """A freshly initialised transformer for ``split``; the same ``seed`` gives the same
        network (torch's global RNG is left untouched).

        Raises
        ------
        ValueError
            If ``split`` is not a classification task with two token columns.

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> split = make_task("modular_pairs", seed=0, p=5)
        >>> fam = Transformer(d_model=8, n_heads=2, d_mlp=8)
        >>> a, b = fam.build(split, 3), fam.build(split, 3)
        >>> bool(torch.equal(a.W_E, b.W_E)), tuple(a.W_E.shape), tuple(a.W_U.shape)
        (True, (6, 8), (8, 5))
        """
        if split.kind != "classification" or split.n_features != 2:
            raise ValueError(
                f"family 'transformer' needs a classification task whose inputs are the two "
                f"operand token ids (e.g. modular_pairs with encoding='tokens'); task "
                f"{split.name!r} is a {split.kind} with {split.n_features} input columns")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            net = TransformerNet(int(split.n_classes), self.d_model, self.n_heads, self.d_mlp)
        return net.to(DTYPES[self.precision])

    def logits(self, model: nn.Module, x: torch.Tensor, *, noise: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """The logits ``(n, p)``; with ``noise > 0``, ``N(0, noise^2)`` noise drawn from
        ``generator`` is added where ``noise_at`` says (default: the embedded tokens, after
        the positional embedding, at all three positions).

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> fam, x = Transformer(d_model=8, n_heads=2, d_mlp=8), torch.tensor([[1., 2.]])
        >>> torch.equal(fam.logits(net, x), net(x))
        True
        >>> noisy = fam.logits(net, x, noise=0.5, generator=torch.Generator().manual_seed(0))
        >>> bool((noisy != net(x)).all())
        True
        """
        resid = model.embed(x, noise=noise, generator=generator, noise_at=self.noise_at)
        return model.last(resid) @ model.W_U

    def loss_of(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of logits ``out`` ``(n, p)`` against labels ``y``, computed in
        float64 (Nanda's ``cross_entropy_high_precision``).

        Examples
        --------
        >>> out = torch.zeros(2, 4)
        >>> round(Transformer().loss_of(out, torch.tensor([0, 3])).item(), 4)  # log 4
        1.3863
        """
        return F.cross_entropy(out.double(), y)

    def error(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the logits: ``loss_of(logits(model, x), y)``.

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> with torch.no_grad():
        ...     _ = net.W_U.zero_()
        >>> err = Transformer().error(net, torch.tensor([[1, 2], [3, 3]]), torch.tensor([3, 1]))
        >>> round(err.item(), 4)  # uniform logits: log 5
        1.6094
        """
        return self.loss_of(self.logits(model, x), y)

    def predict(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities ``(n, p)``.

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> probs = Transformer().predict(net, torch.tensor([[1, 2], [0, 4]]))
        >>> probs.shape, torch.allclose(probs.sum(dim=-1), torch.ones(2))
        (torch.Size([2, 5]), True)
        """
        return torch.softmax(self.logits(model, x), dim=-1)

    def error_and_prediction(self, model: nn.Module, x: torch.Tensor,
                             y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`error` and :meth:`predict` from one forward pass.

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> fam, x, y = Transformer(), torch.tensor([[1, 2], [0, 4]]), torch.tensor([3, 4])
        >>> err, probs = fam.error_and_prediction(net, x, y)
        >>> torch.equal(err, fam.error(net, x, y)), torch.equal(probs, fam.predict(net, x))
        (True, True)
        """
        logits = self.logits(model, x)
        return self.loss_of(logits, y), torch.softmax(logits, dim=-1)

    def swap_operands(self, x: torch.Tensor, split: Split) -> torch.Tensor:
        """``x`` with the token columns ``a`` and ``b`` exchanged (``split`` is not needed:
        the operands are columns 0 and 1).

        Examples
        --------
        >>> Transformer().swap_operands(torch.tensor([[1., 4.], [2., 0.]]), None)
        tensor([[4., 1.],
                [0., 2.]])
        """
        return x[:, [1, 0]].clone()

    def features(self, model: nn.Module, x: torch.Tensor, *, noise: float = 0.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """The penultimate representation ``(n, d_model)``: the residual stream at the
        last position after the MLP, before the unembedding; with ``noise > 0``, of the
        input perturbed as :meth:`logits` perturbs it.

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> x = torch.tensor([[1, 2], [3, 4], [0, 0]])
        >>> feats = Transformer().features(net, x)
        >>> feats.shape, torch.allclose(feats @ net.W_U, net(x))
        (torch.Size([3, 8]), True)
        """
        return model.last(model.embed(x, noise=noise, generator=generator,
                                      noise_at=self.noise_at))

    def probes(self, model: nn.Module, split: Split) -> Probes:
        """``weight_norm``: the L2 norm of all parameters, at every logged step.

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> list(Transformer().probes(net, None))
        ['weight_norm']
        """
        return {"weight_norm": ((), weight_norm(model).cpu().numpy())}

    def metrics(self, model: nn.Module, split: Split, data: dict[str, torch.Tensor]) -> Probes:
        """The robustness metrics named in ``metrics`` (see
        :func:`~bayesgrok.metrics.suite.robustness_metrics`), at the search's noise level.

        Examples
        --------
        >>> from bayesgrok.tasks import make_task
        >>> from bayesgrok.search.torch_seed import build_model, tensors_of
        >>> split = make_task("modular_pairs", seed=0, p=5)
        >>> fam = Transformer(d_model=8, n_heads=2, d_mlp=8, metrics=["abelian"])
        >>> out = fam.metrics(build_model(fam, split, 0), split, tensors_of(split, torch.float32))
        >>> sorted(out)  # doctest: +NORMALIZE_WHITESPACE
        ['abelian_train', 'abelian_train_distance', 'abelian_train_heldout_swap',
         'abelian_train_heldout_swap_distance', 'abelian_val', 'abelian_val_distance']
        """
        return robustness_metrics(self, model, split, data, self.metric_names,
                                  noise=self.metric_noise, alpha=self.entropy_alpha)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (see the contract), ``metrics`` as the names held.

        Examples
        --------
        >>> Transformer().config()["d_model"]
        128
        """
        return {**super().config(), "metrics": list(self.metric_names)}
