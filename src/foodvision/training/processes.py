"""Many processes, one training run: joining them, and which one writes.

A data-parallel run over several hosts (or several processes on one host) runs the same
script in every process. :func:`initialize_processes` joins them through
``keras.distribution.initialize`` and JAX's distributed runtime (its standard variables
``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
``KERAS_DISTRIBUTION_PROCESS_ID``, or arguments); it must run before anything computes
with JAX (before a model is built). Then ``keras.distribution.list_devices()`` lists the
devices of every process, ``distribution="data_parallel"`` shares each batch among all
of them, each process feeds its own share of every batch, and only process 0 (the
chief) writes checkpoints, histories and models.

On CPUs the processes exchange gradients through Gloo (JAX's CPU collectives), so a
two-process run on one machine is a real multi-process run.

Example:
    >>> process_count(), is_chief()  # a single process
    (1, True)
"""

from __future__ import annotations

import os
from typing import Any

ENVIRONMENT = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)
"""The variables ``keras.distribution.initialize`` reads when it gets no arguments."""


def _requested_processes() -> int:
    value = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "")
    return int(value) if value.strip().isdigit() else 1


def _jax() -> Any:
    import keras

    if keras.backend.backend() != "jax":
        return None
    import jax

    return jax


def initialize_processes(
    job_addresses: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> int:
    """Join this process to a multi-process run; return the number of processes.

    Without arguments it reads the ``KERAS_DISTRIBUTION_*`` variables (see
    :data:`ENVIRONMENT`), and does nothing when they ask for one process (or are unset).
    Calling it again once joined does nothing.

    Args:
        job_addresses: ``"host:port"`` of process 0 (JAX needs only the coordinator's).
        num_processes: Processes of the run.
        process_id: This process's number, ``0`` to ``num_processes - 1``.

    Raises:
        ValueError: On a backend other than JAX, or when JAX has already computed
            something in this process (the runtime must start first).

    Example:
        >>> fv.initialize_processes("10.0.0.1:1234", num_processes=2,
        ...                         process_id=0)  # doctest: +SKIP
        2
    """
    wanted = num_processes if num_processes is not None else _requested_processes()
    if int(wanted) <= 1:
        return process_count()
    jax = _jax()
    if jax is None:
        raise ValueError("a multi-process run needs the JAX backend; set KERAS_BACKEND=jax")
    from jax._src import distributed

    if distributed.global_state.client is not None:  # joined already
        return jax.process_count()
    import keras

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        keras.distribution.initialize(job_addresses, num_processes, process_id)
    except RuntimeError as err:
        raise ValueError(
            "the processes of a multi-process run must be joined before anything runs on "
            "JAX: call fv.initialize_processes() at the start of the script, before a "
            f"model is built or data is loaded ({err})"
        ) from err
    return jax.process_count()


def process_count() -> int:
    """Processes of the run (1 without a multi-process runtime or off JAX)."""
    jax = _jax()
    return int(jax.process_count()) if jax is not None else 1


def process_index() -> int:
    """This process's number (0 for a single process)."""
    jax = _jax()
    return int(jax.process_index()) if jax is not None else 0


def is_chief() -> bool:
    """Whether this process writes the run's files (process 0).

    Example:
        >>> if fv.is_chief():  # doctest: +SKIP
        ...     report.save("runs/report")
    """
    return process_index() == 0


def check_processes_joined() -> None:
    """Fail when the environment asks for several processes that were never joined.

    Without this, N processes started with the ``KERAS_DISTRIBUTION_*`` variables but no
    :func:`initialize_processes` would train N separate models into one folder.

    Raises:
        ValueError: The variables ask for several processes and this one is alone.
    """
    wanted = _requested_processes()
    if wanted > 1 and process_count() == 1:
        raise ValueError(
            f"KERAS_DISTRIBUTION_NUM_PROCESSES={wanted}, but this process was not joined "
            "to the others: call fv.initialize_processes() at the start of the script, "
            "before a model is built"
        )


def require_one_process(what: str) -> None:
    """Fail clearly when ``what`` is asked to run in a multi-process run.

    Raises:
        ValueError: The ``KERAS_DISTRIBUTION_*`` variables ask for several processes, or
            this process has joined several.
    """
    if _requested_processes() > 1 or process_count() > 1:
        raise ValueError(
            f"{what} runs in one process (on every device of one host with "
            "distribution='data_parallel'); train across processes with fv.train, "
            "fv.fine_tune or foodvision train"
        )
