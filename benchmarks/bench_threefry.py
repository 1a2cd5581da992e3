"""Would an unrolled threefry speed A6 up? JAX's rolled CPU loop against the unrolled hash.

JAX lowers its threefry2x32 hash on CPU as a rolled loop (five iterations of four rounds,
rotation amounts as loop data); other backends get the twenty rounds unrolled. This script
registers an unrolled lowering for CPU (written here, checked against Random123's
known-answer vector and against ``jax.extend.random.threefry_2x32``) and times, in one
process and alternating, ``jax.random.normal`` for the 19,392 normals A6's BNN draws at each
training step (3 seeds x 32 points x 202 units) and for a million, and A6's training step
itself (3 seeds, no logging: ``bench_bnn_members.per_step_ms``), rolled and unrolled. Both
draw the same bits (checked). Prints the best of ``--repeats`` and the ratios.

Measured 2026-12-06: the normals 2.3-2.4x faster, A6's training step 1.00x (the step's
random cost is in ``erf_inv``'s ``log1p``, not in the hash), so bayesgrok keeps JAX's
lowering.

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        .venv/bin/python benchmarks/bench_threefry.py
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend.random import threefry2x32_p, threefry_2x32
from jax.interpreters import mlir

sys.path.insert(0, str(Path(__file__).parent))
from bench_bnn_members import per_step_ms  # noqa: E402

SHAPES = ((3, 32, 202), (1000, 1000))
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def threefry_unrolled(key1: Any, key2: Any, x1: Any, x2: Any) -> tuple[Any, Any]:
    """Threefry-2x32, 20 rounds (Salmon et al., 2011), unrolled, constant rotations."""
    key1, key2, x1, x2 = (jnp.asarray(a, jnp.uint32) for a in (key1, key2, x1, x2))
    ks = (key1, key2, key1 ^ key2 ^ np.uint32(0x1BD11BDA))
    x = [x1 + ks[0], x2 + ks[1]]
    for block in range(5):
        for r in ROTATIONS[block % 2]:
            x[0] = x[0] + x[1]
            x[1] = x[0] ^ (lax.shift_left(x[1], np.uint32(r))
                           | lax.shift_right_logical(x[1], np.uint32(32 - r)))
        x[0] = x[0] + ks[(block + 1) % 3]
        x[1] = x[1] + ks[(block + 2) % 3] + np.uint32(block + 1)
    return x[0], x[1]


def _broadcast_hash(*args: Any) -> tuple[Any, Any]:
    shape = jnp.broadcast_shapes(*(a.shape for a in args))
    return threefry_unrolled(*(jnp.broadcast_to(a, shape) for a in args))


UNROLLED = mlir.lower_fun(_broadcast_hash, multiple_results=True)


def use(unrolled: bool) -> None:
    """Register the unrolled lowering, or JAX's own CPU rule, and drop compiled programs."""
    if unrolled:
        mlir.register_lowering(threefry2x32_p, UNROLLED, platform="cpu")
    else:
        from jax._src.random import threefry2x32 as jax_threefry

        mlir.register_lowering(threefry2x32_p, jax_threefry._threefry2x32_cpu_lowering_rule,
                               platform="cpu")
    jax.clear_caches()


def check_hash() -> None:
    words = threefry_unrolled(np.uint32(0x13198A2E), np.uint32(0x03707344),
                              np.uint32(0x243F6A88), np.uint32(0x85A308D3))
    assert [int(w) for w in words] == [0xC4923A9C, 0x483DF7A0]  # Random123's vector
    rng = np.random.default_rng(0)
    key = rng.integers(0, 2**32, 2, dtype=np.uint32)
    count = rng.integers(0, 2**32, 1000, dtype=np.uint32)
    ours = np.concatenate([np.asarray(w) for w in threefry_unrolled(key[0], key[1],
                                                                    count[:500], count[500:])])
    assert np.array_equal(ours, np.asarray(threefry_2x32(key, count)))


def normals_ns(shape: tuple[int, ...]) -> tuple[float, np.ndarray]:
    """Best time per normal (ns) of a jitted ``normal`` of ``shape``, and its values."""
    draw = jax.jit(lambda k: jax.random.normal(k, shape))
    key = jax.random.PRNGKey(0)
    values = np.asarray(draw(key))
    n = max(1, int(2e7 / math.prod(shape)))
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            draw(key).block_until_ready()
        best = min(best, (time.perf_counter() - started) / n)
    return best / math.prod(shape) * 1e9, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1600)
    args = parser.parse_args()
    check_hash()
    best: dict[tuple[str, str], float] = {}
    values: dict[tuple[str, str], np.ndarray] = {}
    for _ in range(args.repeats):
        for name in ("rolled", "unrolled"):
            use(name == "unrolled")
            for shape in SHAPES:
                ns, values[name, str(shape)] = normals_ns(shape)
                best[name, str(shape)] = min(best.get((name, str(shape)), math.inf), ns)
            step = per_step_ms(3, 10**9, args.steps)
            best[name, "A6 step"] = min(best.get((name, "A6 step"), math.inf), step)
    for shape in SHAPES:
        assert np.array_equal(values["rolled", str(shape)], values["unrolled", str(shape)])
        r, u = best["rolled", str(shape)], best["unrolled", str(shape)]
        print(f"normal {str(shape):14s} rolled {r:6.2f} ns, unrolled {u:6.2f} ns a normal: "
              f"{r / u:4.2f}x (same bits)")
    r, u = best["rolled", "A6 step"], best["unrolled", "A6 step"]
    print(f"A6 training step (3 seeds) rolled {r:6.3f} ms, unrolled {u:6.3f} ms: {r / u:4.2f}x")


if __name__ == "__main__":
    main()
