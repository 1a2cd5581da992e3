"""JAX's persistent compilation cache, on by default in a per-user folder.

Every run builds its own jitted functions, so JAX's in-memory cache cannot see that the
three starts of A5, the seeds of a sweep or two tests compile the very same program. The
persistent cache is keyed by the compiled program itself: a program compiled once (in any
process of the same user on the same machine, Dask workers included) is loaded, not
compiled again. Cached executables are the compiler's own output, so results do not
change.

The folder is ``$BAYESGROK_JAX_CACHE`` when set (``off`` turns the cache off), else
``$XDG_CACHE_HOME/bayesgrok/jax`` or ``~/.cache/bayesgrok/jax``. A folder a user set with
``jax.config.update("jax_compilation_cache_dir", ...)`` is left alone.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "BAYESGROK_JAX_CACHE"
"""Environment variable naming the cache folder (``off``: no cache)."""

_enabled: Path | None = None


def cache_dir() -> Path | None:
    """The folder of the persistent compilation cache (``None``: turned off).

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop(CACHE_ENV, None)
    >>> cache_dir().parts[-2:]
    ('bayesgrok', 'jax')
    >>> os.environ[CACHE_ENV] = "off"; cache_dir() is None
    True
    >>> os.environ[CACHE_ENV] = "/tmp/jaxcache"; str(cache_dir())
    '/tmp/jaxcache'
    >>> _ = os.environ.pop(CACHE_ENV) if saved is None else os.environ.update({CACHE_ENV: saved})
    """
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return None if given.strip().lower() in ("", "off", "0", "false", "no") else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bayesgrok" / "jax"


def enable_compilation_cache() -> Path | None:
    """Turn JAX's persistent compilation cache on in :func:`cache_dir` (once per process;
    every program is cached, however fast it compiled). Returns the folder in force.

    Examples
    --------
    >>> folder = enable_compilation_cache()
    >>> folder is None or folder.is_dir()
    True
    """
    global _enabled
    import jax

    current = jax.config.jax_compilation_cache_dir
    if current:  # set by the user, or by an earlier call
        _enabled = Path(current)
        return _enabled
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # an unwritable home: run without the cache
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    _enabled = folder
    return folder
