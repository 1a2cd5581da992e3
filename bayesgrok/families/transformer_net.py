"""The network of the transformer family: :class:`TransformerNet`, the one-layer,
LayerNorm-free transformer of REFERENCE D2 as a :class:`torch.nn.Module` (its architecture,
token convention and initialisation are described in :mod:`bayesgrok.families.transformer`,
whose :class:`~bayesgrok.families.transformer.Transformer` builds and trains it).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

N_CTX = 3
"""Sequence length: ``[a, b, '=']``."""


class TransformerNet(nn.Module):
    """The one-layer, LayerNorm-free transformer of REFERENCE D2.

    Parameters
    ----------
    p
        Number of classes; the ``'='`` token has id ``p`` and the vocabulary ``p + 1``.
    d_model, n_heads, d_mlp
        Residual width, number of heads (``d_head = d_model / n_heads``) and MLP width.

    Examples
    --------
    >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=16)
    >>> net(torch.tensor([[1, 2], [3, 4]])).shape
    torch.Size([2, 5])
    >>> net(torch.tensor([[1.0, 2.0]])).shape  # float ids (as the engine passes them)
    torch.Size([1, 5])
    """

    def __init__(self, p: int, d_model: int, n_heads: int, d_mlp: int) -> None:
        super().__init__()
        self.p, self.d_model, self.n_heads, self.d_mlp = p, d_model, n_heads, d_mlp
        self.d_head = d_model // n_heads
        d_vocab = p + 1
        self.W_E = nn.Parameter(torch.randn(d_vocab, d_model) / math.sqrt(d_model))
        self.W_pos = nn.Parameter(torch.randn(N_CTX, d_model) / math.sqrt(d_model))
        width = n_heads * self.d_head  # the heads side by side: columns h*d_head ...
        self.W_Q = nn.Parameter(torch.randn(d_model, width) / math.sqrt(d_model))
        self.W_K = nn.Parameter(torch.randn(d_model, width) / math.sqrt(d_model))
        self.W_V = nn.Parameter(torch.randn(d_model, width) / math.sqrt(d_model))
        self.W_O = nn.Parameter(torch.randn(width, d_model) / math.sqrt(d_model))
        self.W_in = nn.Parameter(torch.randn(d_model, d_mlp) / math.sqrt(d_model))
        self.b_in = nn.Parameter(torch.zeros(d_mlp))
        self.W_out = nn.Parameter(torch.randn(d_mlp, d_model) / math.sqrt(d_model))
        self.b_out = nn.Parameter(torch.zeros(d_model))
        self.W_U = nn.Parameter(torch.randn(d_model, p) / math.sqrt(d_vocab))
        self.register_buffer("mask", torch.tril(torch.ones(N_CTX, N_CTX, dtype=torch.bool)))

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """The token ids ``(n, 3)`` ``[a, b, '=']`` of operand ids ``x`` ``(n, 2)``
        (integer, or float holding integers: rounded).

        Examples
        --------
        >>> TransformerNet(p=5, d_model=4, n_heads=1, d_mlp=4).tokens(torch.tensor([[1., 4.]]))
        tensor([[1, 4, 5]])
        """
        ids = torch.round(x).long() if x.is_floating_point() else x.long()
        eq = torch.full((ids.shape[0], 1), self.p, dtype=torch.long, device=ids.device)
        return torch.cat([ids, eq], dim=1)

    def embed(self, x: torch.Tensor, *, noise: float = 0.0,
              generator: torch.Generator | None = None,
              noise_at: str = "embeddings") -> torch.Tensor:
        """The residual stream ``(n, 3, d_model)`` before the block: token plus positional
        embeddings. With ``noise > 0``, ``N(0, noise^2)`` noise (drawn from ``generator``)
        is added to it (``noise_at="embeddings"``) or to the one-hot token vectors before
        the embedding matrix (``noise_at="inputs"``).

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=4, n_heads=1, d_mlp=4)
        >>> x = torch.tensor([[1, 2]])
        >>> torch.equal(net.embed(x)[0, 2], net.W_E[5] + net.W_pos[2])
        True
        """
        ids = self.tokens(x)
        if noise > 0.0 and noise_at == "inputs":
            one_hot = F.one_hot(ids, self.p + 1).to(self.W_E.dtype)
            one_hot = one_hot + noise * _randn(one_hot, generator)
            resid = one_hot @ self.W_E
        else:
            resid = self.W_E[ids]
        resid = resid + self.W_pos
        if noise > 0.0 and noise_at == "embeddings":
            resid = resid + noise * _randn(resid, generator)
        return resid

    def _heads(self, resid: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """``resid @ weight`` split into heads: ``(..., n_heads, d_head)``."""
        out = resid @ weight
        return out.reshape(*out.shape[:-1], self.n_heads, self.d_head)

    def _mlp(self, resid: torch.Tensor) -> torch.Tensor:
        return resid + torch.relu(resid @ self.W_in + self.b_in) @ self.W_out + self.b_out

    def block(self, resid: torch.Tensor) -> torch.Tensor:
        """The whole residual stream after the attention layer (causal mask) and the MLP,
        ``(n, 3, d_model)``; for inspection: the logits need only :meth:`last`.

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=4, n_heads=2, d_mlp=8)
        >>> net.block(torch.zeros(2, 3, 4)).shape
        torch.Size([2, 3, 4])
        """
        q, k, v = (self._heads(resid, w) for w in (self.W_Q, self.W_K, self.W_V))
        scores = torch.einsum("nqhe,nkhe->nhqk", q, k) / math.sqrt(self.d_head)
        pattern = torch.softmax(scores.masked_fill(~self.mask, float("-inf")), dim=-1)
        z = torch.einsum("nhqk,nkhe->nqhe", pattern, v).reshape(*resid.shape[:2], -1)
        return self._mlp(resid + z @ self.W_O)

    def last(self, resid: torch.Tensor) -> torch.Tensor:
        """The residual stream at the last position after the block, ``(n, d_model)``:
        ``block(resid)[:, -1]``, computed for that position only (in a one-layer model
        nothing reads the others; the last query sees every position, so the causal mask
        does not cut it).

        Examples
        --------
        >>> net = TransformerNet(p=5, d_model=8, n_heads=2, d_mlp=8)
        >>> resid = torch.randn(4, 3, 8, generator=torch.Generator().manual_seed(0))
        >>> torch.allclose(net.last(resid), net.block(resid)[:, -1], atol=1e-6)
        True
        """
        end = resid[:, -1]
        q = self._heads(end, self.W_Q)                                  # (n, h, e)
        k, v = self._heads(resid, self.W_K), self._heads(resid, self.W_V)  # (n, 3, h, e)
        scores = (k * q.unsqueeze(1)).sum(dim=-1) / math.sqrt(self.d_head)  # (n, 3, h)
        pattern = torch.softmax(scores, dim=1)
        z = (pattern.unsqueeze(-1) * v).sum(dim=1).reshape(end.shape[0], -1)
        return self._mlp(end + z @ self.W_O)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits ``(n, p)`` at the last position of ``[a, b, '=']``."""
        return self.last(self.embed(x)) @ self.W_U


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else like.device
    out = torch.randn(like.shape, generator=generator, dtype=like.dtype, device=device)
    return out.to(like.device)
