"""Step 4: hyperparameter search for the step-3 CNN with KerasTuner.

The search space covers the architecture (depth, filters, dense units, dropout rates)
and the training (learning rate, augmentation strength). Every trial trains through
:func:`foodvision.train`, so augmentation runs where it runs in the other steps
(``augment_on``). The Keras session is cleared before each trial, so memory stays flat however
many trials run; each trial's peak memory is recorded to show it.

A search result splits into the model's options (``result.architecture``, for
``build_model("tuned_cnn", ...)``) and the training settings (``result.training``:
learning rate, augmentation...), which belong to the search, not the model.

Example:
    >>> result = fv.tune_cnn(data, tuner="bayesian", max_trials=8, epochs=5,
    ...                      directory="runs/tuning")  # doctest: +SKIP
    >>> model = fv.build_model("tuned_cnn", num_classes=data.num_classes,
    ...                        input_shape=(*data.image_size, 3),
    ...                        **result.architecture)  # doctest: +SKIP

"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from foodvision.base.checks import check_int
from foodvision.base.figures import new_figure, save_figure
from foodvision.base.files import write_text_atomic
from foodvision.base.jsonable import json_safe
from foodvision.base.log import get_logger
from foodvision.base.system import peak_memory_mb

TUNERS = ("hyperband", "bayesian")

DEFAULT_SEARCH_SPACE: Mapping[str, tuple[Any, ...]] = {
    "depth": (4, 3, 5),
    "filters": (32, 16, 48),
    "dense_units": (128, 64, 256),
    "spatial_dropout": (0.1, 0.0, 0.2),
    "dropout": (0.5, 0.3, 0.2),
    "learning_rate": (1e-3, 3e-4, 3e-3),
    "augmentation": ("standard", "light", "strong"),
}
"""Choices of every tuned hyperparameter (``tuned_cnn`` options, learning rate and
augmentation preset). The first choice of each is the step-3 model's setting; the
Bayesian search runs its first trial with the first choices, so it always measures the
model it tries to improve.

Example:
    >>> DEFAULT_SEARCH_SPACE["depth"]
    (4, 3, 5)
"""

logger = get_logger(__name__)


TRAINING_HYPERPARAMETERS = frozenset(
    {
        "learning_rate",
        "optimizer",
        "weight_decay",
        "batch_size",
        "epochs",
        "label_smoothing",
        "augmentation",
    }
)
"""Keys a search may tune that configure the training, not the model."""


def architecture_keys() -> tuple[str, ...]:
    """The options of ``tuned_cnn`` a search may tune (the fields of its config)."""
    from foodvision.models import TunedCNNConfig

    return tuple(f.name for f in dataclasses.fields(TunedCNNConfig))


def split_hyperparameters(
    hyperparameters: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a search's choices into (``tuned_cnn`` options, training settings).

    Raises:
        ValueError: A key is neither a ``tuned_cnn`` option nor in
            :data:`TRAINING_HYPERPARAMETERS`; the message lists both.

    Example:
        >>> split_hyperparameters({"depth": 3, "learning_rate": 1e-3})
        ({'depth': 3}, {'learning_rate': 0.001})

    """
    if not isinstance(hyperparameters, Mapping):
        raise ValueError(f"hyperparameters must be a dict, got {hyperparameters!r}")
    model_keys = architecture_keys()
    unknown = sorted(set(hyperparameters) - set(model_keys) - TRAINING_HYPERPARAMETERS)
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {unknown} for tuned_cnn. Accepted: "
            f"{', '.join(model_keys)} (model) and "
            f"{', '.join(sorted(TRAINING_HYPERPARAMETERS))} (training)"
        )
    architecture = {k: v for k, v in hyperparameters.items() if k in model_keys}
    training = {k: v for k, v in hyperparameters.items() if k in TRAINING_HYPERPARAMETERS}
    return architecture, training


@dataclasses.dataclass
class TuningResult:
    """Outcome of :func:`tune_cnn`.

    Attributes:
        best_hyperparameters: The best trial's choices, model options and training
            settings together (see :attr:`architecture` and :attr:`training`).
        best_score: The best trial's validation accuracy.
        trials: One dict per trial: ``trial``, ``score``, ``status``, ``epochs``,
            ``seconds``, ``peak_memory_mb`` and the hyperparameters.
        tuner: ``"hyperband"`` or ``"bayesian"``.
        seconds: Wall time of the search.

    Example:
        >>> search = tune_cnn(data, tuner="bayesian", max_trials=3)  # doctest: +SKIP
        >>> search.best_score, search.best_hyperparameters["depth"]  # doctest: +SKIP
        >>> search.save("runs/tuning")  # doctest: +SKIP
        >>> model = fv.build_model("tuned_cnn", **search.architecture)  # doctest: +SKIP
    """

    best_hyperparameters: dict[str, Any]
    best_score: float | None
    trials: list[dict[str, Any]]
    tuner: str
    seconds: float

    @property
    def architecture(self) -> dict[str, Any]:
        """The best trial's ``tuned_cnn`` options: ``build_model("tuned_cnn", **these)``."""
        return split_hyperparameters(self.best_hyperparameters)[0]

    @property
    def training(self) -> dict[str, Any]:
        """The best trial's training settings (``learning_rate``, ``augmentation``...)."""
        return split_hyperparameters(self.best_hyperparameters)[1]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what :meth:`save` writes as ``trials.json``)."""
        return dataclasses.asdict(self)

    def plot(self) -> Any:
        """Matplotlib figure: validation accuracy of every trial, best marked."""
        figure = new_figure(7, 3.2)
        axis = figure.add_subplot(1, 1, 1)
        done = [t for t in self.trials if t["score"] is not None]
        x = [t["trial"] for t in done]
        y = [t["score"] for t in done]
        axis.bar(x, y, color="#8fb3d9")
        if done:
            best = max(done, key=lambda t: t["score"])
            axis.bar([best["trial"]], [best["score"]], color="#2f6db3", label="best")
            axis.legend(loc="lower right")
        axis.set_xticks(x)
        axis.set_xlabel("trial")
        axis.set_ylabel("validation accuracy")
        axis.set_ylim(0, 1)
        axis.set_title(f"{self.tuner} search: {len(done)} trials")
        return figure

    def save(self, directory: str | Path) -> Path:
        """Write ``trials.json``, ``best_hyperparameters.json`` and ``trials.png``.

        Returns:
            The folder.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "trials.json", json.dumps(self.to_dict(), indent=2) + "\n")
        write_text_atomic(
            out / "best_hyperparameters.json",
            json.dumps(self.best_hyperparameters, indent=2) + "\n",
        )
        save_figure(self.plot(), out / "trials.png")
        return out


def _check_space(space: Mapping[str, Sequence[Any]], image_size: int) -> dict[str, list]:
    split_hyperparameters(space)  # unknown keys fail here, with the accepted list
    checked: dict[str, list] = {}
    for key, choices in space.items():
        values = list(choices) if isinstance(choices, (list, tuple)) else [choices]
        if not values:
            raise ValueError(f"search_space[{key!r}] has no choices")
        checked[key] = values
    if "depth" in checked:
        fitting = [d for d in checked["depth"] if 2**d <= image_size]
        if not fitting:
            raise ValueError(
                f"no depth in {checked['depth']} fits {image_size}px images (each block "
                "halves the image); use smaller depths or larger images"
            )
        checked["depth"] = fitting
    return checked


def _make_hypermodel(
    data: Any,
    space: Mapping[str, list],
    seed: int,
    schedule: str,
    warmup_epochs: int,
    augment_on: str,
    placement: Mapping[str, Any],
) -> Any:
    import keras
    import keras_tuner

    from foodvision.models import build_model
    from foodvision.training import train

    class CNNHyperModel(keras_tuner.HyperModel):
        """``tuned_cnn`` with hyperparameters drawn from ``space``."""

        def build(self, hp: Any) -> Any:
            keras.backend.clear_session()  # memory stays flat across trials
            values = {key: hp.Choice(key, choices) for key, choices in space.items()}
            architecture, _ = split_hyperparameters(values)
            return build_model(
                "tuned_cnn",
                num_classes=data.num_classes,
                input_shape=(*data.image_size, 3),
                **architecture,
            )

        def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
            epochs = kwargs.get("epochs", 1)
            initial = kwargs.get("initial_epoch", 0)
            return train(
                model,
                data,
                epochs=max(1, epochs - initial),
                learning_rate=hp.values.get("learning_rate", 1e-3),
                schedule=schedule,
                warmup_epochs=min(warmup_epochs, max(0, epochs - initial - 1)),
                augmentation=hp.values.get("augmentation", "standard"),
                augment_on=augment_on,
                callbacks=kwargs.get("callbacks", ()),
                seed=seed,
                verbose=0,
                **placement,
            )

    return CNNHyperModel()


def tune_cnn(
    data: Any,
    *,
    tuner: str = "hyperband",
    max_trials: int = 10,
    epochs: int = 10,
    factor: int = 3,
    search_space: Mapping[str, Sequence[Any]] | None = None,
    schedule: str = "cosine",
    warmup_epochs: int = 1,
    augment_on: str = "auto",
    precision: str | None = None,
    distribution: Any = None,
    steps_per_execution: int = 1,
    directory: str | Path = "tuning",
    overwrite: bool = False,
    seed: int = 0,
    verbose: bool = False,
) -> TuningResult | None:
    """Search ``tuned_cnn`` hyperparameters on ``data`` by validation accuracy.

    KerasTuner's own distributed search works unchanged: started with its
    ``KERASTUNER_TUNER_ID`` (``chief`` or ``tuner0``, ``tuner1``...),
    ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT`` variables, the chief's call
    serves the oracle until every trial is done and returns the result; each worker's
    call runs trials and returns ``None``.

    Args:
        data: An :class:`~foodvision.ImageData` with a validation split.
        tuner: ``"hyperband"`` (``epochs`` is the most a trial trains; ``max_trials``
            is ignored) or ``"bayesian"`` (``max_trials`` trials of ``epochs`` each).
        max_trials: Trials of the Bayesian search.
        epochs: Epochs per trial (Bayesian) or maximum epochs of a trial (Hyperband).
        factor: Hyperband's reduction factor.
        search_space: ``{name: choices}``, default :data:`DEFAULT_SEARCH_SPACE`; names
            are ``tuned_cnn`` options plus ``learning_rate`` and ``augmentation``.
        schedule: Learning-rate schedule of every trial (see :func:`foodvision.train`).
        warmup_epochs: Warm-up epochs of the cosine schedule.
        augment_on: Where augmentation runs (see :func:`foodvision.train`).
        precision: Dtype policy of every trial (see :func:`foodvision.train`).
        distribution: Device distribution of every trial (see :func:`foodvision.train`).
        steps_per_execution: See :func:`foodvision.train`.
        directory: KerasTuner's folder; a re-run with ``overwrite=False`` resumes.
        overwrite: Start the search over.
        seed: Seed of the search and of the training.
        verbose: Print KerasTuner's progress.

    Returns:
        A :class:`TuningResult` (``None`` in a worker of a distributed search).

    Raises:
        ValueError: Unknown tuner or hyperparameter, no validation split, or no depth
            that fits the image size.

    Example:
        >>> search = fv.tune_cnn(data, tuner="hyperband", epochs=20,
        ...                      directory="runs/tuning")  # doctest: +SKIP
        >>> model = fv.build_model("tuned_cnn", num_classes=data.num_classes,
        ...                        input_shape=(*data.image_size, 3),
        ...                        **search.architecture)  # doctest: +SKIP

    """
    if tuner not in TUNERS:
        raise ValueError(f"unknown tuner {tuner!r}; choose one of {', '.join(TUNERS)}")
    if data.val is None:
        raise ValueError("tuning needs a validation split; load the data with validation_split > 0")
    check_int("max_trials", max_trials, 1)
    check_int("epochs", epochs, 1)
    space = _check_space(search_space or DEFAULT_SEARCH_SPACE, min(data.image_size))
    placement = {
        "precision": precision,
        "distribution": distribution,
        "steps_per_execution": steps_per_execution,
    }
    hypermodel = _make_hypermodel(data, space, seed, schedule, warmup_epochs, augment_on, placement)
    search = _make_tuner(
        tuner, hypermodel, epochs, factor, max_trials, seed, directory, overwrite=overwrite
    )
    timings = _TrialTimings.attach(search)
    start = time.perf_counter()
    search.search(epochs=epochs, verbose=1 if verbose else 0)
    seconds = time.perf_counter() - start
    if not hasattr(search.oracle, "trials"):  # a worker: the chief holds the results
        return None
    trials = [
        timings.row(number, trial, space, epochs)
        for number, trial in enumerate(search.oracle.trials.values(), start=1)
    ]
    scored = [t for t in trials if t["score"] is not None]
    if not scored:
        raise RuntimeError(
            f"every one of the {len(trials)} tuning trials failed; run with verbose=True to "
            "see KerasTuner's errors"
        )
    best = max(scored, key=lambda t: t["score"])
    return TuningResult(
        best_hyperparameters=json_safe(best["hyperparameters"]),
        best_score=best["score"],
        trials=json_safe(trials),
        tuner=tuner,
        seconds=seconds,
    )


def _make_tuner(
    tuner: str,
    hypermodel: Any,
    epochs: int,
    factor: int,
    max_trials: int,
    seed: int,
    directory: str | Path,
    *,
    overwrite: bool,
) -> Any:
    """KerasTuner's Hyperband, or a Bayesian search whose first trial is the defaults."""
    import keras_tuner

    objective = keras_tuner.Objective("val_accuracy", "max")
    common = dict(directory=str(directory), project_name=tuner, overwrite=overwrite)
    if tuner == "hyperband":
        return keras_tuner.Hyperband(
            hypermodel,
            objective=objective,
            max_epochs=max(2, epochs),
            factor=max(2, factor),
            seed=seed,
            **common,
        )
    oracle = _first_trial_at_defaults(
        keras_tuner.oracles.BayesianOptimizationOracle(
            objective=objective, max_trials=max_trials, seed=seed
        )
    )
    return keras_tuner.Tuner(oracle=oracle, hypermodel=hypermodel, **common)


@dataclasses.dataclass
class _TrialTimings:
    """Wall time and peak memory of each trial a tuner runs in this process."""

    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    memory: dict[str, float | None] = dataclasses.field(default_factory=dict)

    @classmethod
    def attach(cls, search: Any) -> _TrialTimings:
        """Wrap ``search.run_trial`` so that every trial is timed."""
        timings = cls()
        original = search.run_trial

        def timed_trial(trial: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            number = len(timings.seconds) + 1
            shown = {k: v for k, v in trial.hyperparameters.values.items()}
            logger.info("[search] trial %d: %s", number, _compact(shown))
            result = None
            try:
                result = original(trial, *args, **kwargs)
                return result
            finally:
                seconds = time.perf_counter() - start
                timings.seconds[trial.trial_id] = seconds
                timings.memory[trial.trial_id] = peak_memory_mb()
                score = _best_val_accuracy(result)
                logger.info(
                    "[search] trial %d: best val_accuracy %s in %.0f s",
                    number,
                    f"{score:.4f}" if score is not None else "none (failed)",
                    seconds,
                )

        search.run_trial = timed_trial
        return timings

    def row(self, number: int, trial: Any, space: Mapping[str, Any], epochs: int) -> dict:
        """One trial of :attr:`TuningResult.trials`."""
        values = trial.hyperparameters.values
        score = trial.score
        return {
            "trial": number,
            "trial_id": trial.trial_id,
            "score": None if score is None or math.isnan(score) else float(score),
            "status": str(trial.status),
            "epochs": int(values.get("tuner/epochs", epochs)),
            "seconds": self.seconds.get(trial.trial_id),
            "peak_memory_mb": self.memory.get(trial.trial_id),
            "hyperparameters": {k: v for k, v in values.items() if k in space},
        }


def _compact(values: Mapping[str, Any]) -> str:
    """Hyperparameters on one line: ``name=value, ...`` (floats to 4 significant digits)."""
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def _best_val_accuracy(result: Any) -> float | None:
    """The best ``val_accuracy`` of what a trial's fits returned (histories or dicts)."""
    items = result if isinstance(result, list) else [result]
    values: list[float] = []
    for item in items:
        history = getattr(item, "history", item)
        if isinstance(history, dict):
            values += [float(v) for v in history.get("val_accuracy", []) if v is not None]
    return max(values) if values else None


def _first_trial_at_defaults(oracle: Any) -> Any:
    """Make the oracle's first trial use every hyperparameter's first choice.

    The first choices are the step-3 model (see :data:`DEFAULT_SEARCH_SPACE`), so the
    search always measures the model it tries to improve; later trials are the oracle's.
    """
    suggest = oracle.populate_space

    def populate_space(trial_id: str) -> dict[str, Any]:
        if not oracle.trials:
            values = {hp.name: hp.default for hp in oracle.hyperparameters.space}
            return {"status": "RUNNING", "values": values}
        return suggest(trial_id)

    oracle.populate_space = populate_space
    return oracle
