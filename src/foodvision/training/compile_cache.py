"""Keep XLA's compiled programs on disk, so a resumed or repeated run does not compile again.

On the JAX backend every train, evaluation and prediction step is compiled by XLA the
first time it runs: seconds on a CPU, often tens of seconds for a large model on a GPU.
JAX's persistent compilation cache stores those programs in a folder and loads them in
the next process that needs the same program (same model, shapes, dtypes, devices and
versions). The other backends have no such cache; there this does nothing.

Example:
    >>> use_compilation_cache("runs/study/compile_cache")  # doctest: +SKIP
    PosixPath('runs/study/compile_cache')
"""

from __future__ import annotations

from pathlib import Path

import keras


def use_compilation_cache(directory: str | Path) -> Path | None:
    """Cache compiled programs in ``directory`` for this and later processes (JAX).

    The first folder set in a process stays for the whole process (JAX opens its cache
    once); a folder set before through ``jax.config`` or ``JAX_COMPILATION_CACHE_DIR``
    is kept.

    Args:
        directory: Folder of the cache (created when missing).

    Returns:
        The folder in use, or ``None`` on a backend other than JAX.

    Example:
        >>> fv.use_compilation_cache("runs/compile_cache")  # doctest: +SKIP
        PosixPath('runs/compile_cache')
    """
    if keras.backend.backend() != "jax":
        return None
    import jax

    current = jax.config.jax_compilation_cache_dir
    if current:
        return Path(current)
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    # cache every program: the study's many small ones add up to most of a resumed
    # run's start-up on a CPU
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path
