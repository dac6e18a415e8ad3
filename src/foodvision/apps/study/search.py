"""Step 4: hyperparameter search for the step-3 CNN with KerasTuner.

The search space covers what moves small-data accuracy most: the training (learning
rate on a log scale, weight decay, label smoothing, augmentation strength up to
RandAugment with MixUp and CutMix) and the architecture (width, convolutions per block,
batch normalisation, the head, dropout). Every trial trains through :func:`foodvision.train`
with the schedule and number of epochs of the retraining, so what a trial scores is
what the retraining runs; a trial's score is its mean validation accuracy over its last
epochs (:func:`smoothed_score`), not its luckiest epoch. The best few trials then train
again on other seeds and the best mean wins (``confirm_top``, ``confirm_seeds``): with
a few hundred validation images, one run's score carries a point or two of noise, and
the top of a ranking is where that noise gathers. A Bayesian search tries the defaults
first, then any ``start_points`` (known recipes, measured like any trial), then random
and model-guided trials.

Augmentation runs where it runs in the other steps (``augment_on``). The Keras session
is cleared before each trial, so memory stays flat however many trials run; each
trial's peak memory is recorded to show it.

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


@dataclasses.dataclass(frozen=True)
class SearchRange:
    """A continuous hyperparameter: any value from ``low`` to ``high``.

    Attributes:
        default: The value of the search's first trial (the step-3 setting).
        low: Smallest value.
        high: Largest value.
        log: Draw on a log scale (learning rates, decays).

    Example:
        >>> SearchRange(1e-3, 3e-4, 1e-2, log=True).contains(2e-3)
        True
    """

    default: float
    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not self.low <= self.default <= self.high or (self.log and self.low <= 0):
            raise ValueError(
                f"a search range needs low <= default <= high (and low > 0 on a log "
                f"scale), got {self}"
            )

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in the range."""
        return isinstance(value, (int, float)) and self.low <= value <= self.high


DEFAULT_SEARCH_SPACE: Mapping[str, Any] = {
    "learning_rate": SearchRange(1e-3, 3e-4, 1e-2, log=True),
    "weight_decay": (0.0, 0.01, 0.05, 0.2),
    "label_smoothing": (0.0, 0.1),
    "augmentation": ("standard", "light", "strong"),
    "filters": (32, 16, 48, 64),
    "convs_per_block": (1, 2),
    "batch_norm": (False, True),
    "pooling": ("flatten", "avg"),
    "spatial_dropout": (0.1, 0.0, 0.2),
    "dropout": (0.5, 0.2, 0.3),
}
"""What step 4 searches. A tuple lists the choices, a :class:`SearchRange` is
continuous. The first choice (a range's ``default``) of each is the step-3 model's
setting, and the first trial of a Bayesian search uses them all, so the search always
measures the model it tries to improve. ``"strong"`` augmentation is RandAugment with
CutMix and MixUp; ``weight_decay`` is decoupled (Adam with it is AdamW). Capacity is
searched by the width (``filters``) and the convolutions in each block
(``convs_per_block``); the number of blocks is step 2's question and stays at step 3's
(pass ``search_space`` with ``"depth"`` to search it too). Epochs, batch size and
schedule are fixed: they are the retraining's.

Example:
    >>> DEFAULT_SEARCH_SPACE["filters"]
    (32, 16, 48, 64)
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

SCORE = "val_score"
"""The objective of every trial: :func:`smoothed_score` of its validation accuracy."""


def smoothed_score(val_accuracy: Sequence[float], last: int) -> float:
    """Mean validation accuracy of the last ``last`` epochs (all of them when fewer).

    The end of a run is what is kept; a mean over its last epochs is about
    ``sqrt(last)`` times less noisy than one epoch, and unlike the best epoch it is not
    biased upwards by picking the luckiest of many.

    Example:
        >>> smoothed_score([0.5, 0.7, 0.8, 0.78], last=2)
        0.79
    """
    values = [float(v) for v in val_accuracy if v is not None]
    if not values:
        raise ValueError("no validation accuracy to score: the trial trained no epoch")
    tail = values[-max(1, last) :]
    return round(sum(tail) / len(tail), 10)


def score_epochs(epochs: int) -> int:
    """How many final epochs a trial's score averages: a quarter of them, 1 to 5.

    Example:
        >>> score_epochs(30), score_epochs(3), score_epochs(80)
        (5, 1, 5)
    """
    return max(1, min(5, epochs // 4))


def search_space_from(
    start: Mapping[str, Any], space: Mapping[str, Any] = DEFAULT_SEARCH_SPACE
) -> dict[str, Any]:
    """``space`` searched from ``start``, the step-3 model's options over its defaults.

    Each option of ``start`` becomes its hyperparameter's first choice (a range's
    default, the range widened to hold it), so the first trial is still the step-3
    model; an option the space does not search stays fixed at ``start``'s value.

    Example:
        >>> space = search_space_from({"dropout": 0.2, "convs_per_block": 2})
        >>> space["dropout"], space["convs_per_block"]
        ((0.2, 0.5, 0.3), (2, 1))
    """
    out = dict(space)
    for key, value in start.items():
        choices = out.get(key)
        if isinstance(choices, SearchRange):
            low, high = min(choices.low, value), max(choices.high, value)
            out[key] = dataclasses.replace(choices, default=value, low=low, high=high)
        elif choices is None:
            out[key] = (value,)
        else:
            out[key] = (value, *(c for c in choices if c != value))
    return out


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
        best_hyperparameters: The chosen trial's choices, model options and training
            settings together (see :attr:`architecture` and :attr:`training`).
        best_score: Its score: the mean of its runs' smoothed validation accuracy
            (the search's run and its confirmation runs).
        trials: One dict per trial: ``trial``, ``score``, ``status``, ``epochs`` (it
            trained), ``budget`` (the epochs its score stands for: Hyperband's bracket
            budget), ``seconds``, ``peak_memory_mb`` and the hyperparameters.
        tuner: ``"hyperband"`` or ``"bayesian"``.
        seconds: Wall time of the search, confirmations included.
        confirmations: One dict per confirmed trial: ``trial``, ``seeds``, ``scores``
            (the search's run first) and their ``mean``.
        epochs_trained: Epochs trained by the whole search, confirmations included
            (compare with the retraining's epochs).

    Example:
        >>> search = tune_cnn(data, tuner="bayesian", max_trials=3)  # doctest: +SKIP
        >>> search.best_score, search.best_hyperparameters["filters"]  # doctest: +SKIP
        >>> search.save("runs/tuning")  # doctest: +SKIP
        >>> model = fv.build_model("tuned_cnn", **search.architecture)  # doctest: +SKIP
    """

    best_hyperparameters: dict[str, Any]
    best_score: float | None
    trials: list[dict[str, Any]]
    tuner: str
    seconds: float
    confirmations: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    epochs_trained: int = 0

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

    @classmethod
    def load(cls, directory: str | Path) -> TuningResult:
        """The result :meth:`save` wrote into ``directory``.

        Raises:
            FileNotFoundError: No ``trials.json`` there.
        """
        saved = json.loads((Path(directory) / "trials.json").read_text())
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in names})

    def plot(self) -> Any:
        """Matplotlib figure: the score of every trial, confirmation runs as dots."""
        figure = new_figure(7, 3.2)
        axis = figure.add_subplot(1, 1, 1)
        done = [t for t in self.trials if t["score"] is not None]
        x = [t["trial"] for t in done]
        y = [t["score"] for t in done]
        axis.bar(x, y, color="#8fb3d9")
        chosen = [t for t in done if t.get("hyperparameters") == self.best_hyperparameters]
        if chosen:
            axis.bar([chosen[0]["trial"]], [chosen[0]["score"]], color="#2f6db3", label="chosen")
        for row in self.confirmations:
            axis.plot(
                [row["trial"]] * len(row["scores"]), row["scores"], "o", color="#d9822b", ms=4
            )
        if chosen or self.confirmations:
            axis.legend(loc="lower right")
        axis.set_xticks(x)
        axis.set_xlabel("trial")
        axis.set_ylabel("validation score")
        axis.set_ylim(0, 1)
        axis.set_title(f"{self.tuner} search: {len(done)} trials (dots: re-runs)")
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


def _check_space(space: Mapping[str, Any], image_size: int) -> dict[str, Any]:
    split_hyperparameters(space)  # unknown keys fail here, with the accepted list
    checked: dict[str, Any] = {}
    for key, choices in space.items():
        if isinstance(choices, SearchRange):
            checked[key] = choices
            continue
        values = list(choices) if isinstance(choices, (list, tuple)) else [choices]
        if not values:
            raise ValueError(f"search_space[{key!r}] has no choices")
        checked[key] = values
    if "depth" in checked:
        if isinstance(checked["depth"], SearchRange):
            raise ValueError("depth takes a tuple of choices, not a SearchRange")
        fitting = [d for d in checked["depth"] if 2**d <= image_size]
        if not fitting:
            raise ValueError(
                f"no depth in {checked['depth']} fits {image_size}px images (each block "
                "halves the image); use smaller depths or larger images"
            )
        checked["depth"] = fitting
    return checked


def check_start_points(
    points: Sequence[Mapping[str, Any]], space: Mapping[str, Any], tuner: str = "bayesian"
) -> list[dict[str, Any]]:
    """``points`` as a list of dicts whose every value is one the search can take.

    Raises:
        ValueError: Not a list of mappings, a name the space does not search or a value
            outside its choices, or a tuner other than the Bayesian one.

    Example:
        >>> check_start_points([{"batch_norm": True}], DEFAULT_SEARCH_SPACE)
        [{'batch_norm': True}]
    """
    if isinstance(points, Mapping) or not isinstance(points, (list, tuple)):
        raise ValueError(f"start_points must be a list of mappings, got {points!r}")
    if points and tuner != "bayesian":
        raise ValueError(f"start_points need tuner='bayesian', not {tuner!r}")
    checked = []
    for point in points:
        if not isinstance(point, Mapping):
            raise ValueError(f"each start point must be a mapping, got {point!r}")
        for key, value in point.items():
            choices = space.get(key)
            allowed = (
                choices.contains(value)
                if isinstance(choices, SearchRange)
                else choices is not None and value in choices
            )
            if not allowed:
                raise ValueError(
                    f"start point {dict(point)}: {key}={value!r} is not in the search space "
                    f"({key}: {choices if choices is not None else 'not searched'})"
                )
        checked.append(dict(point))
    return checked


def _hyperparameter(hp: Any, key: str, choices: Any) -> Any:
    """Declare one hyperparameter on KerasTuner's ``hp``; its first trial takes the default."""
    if isinstance(choices, SearchRange):
        sampling = "log" if choices.log else "linear"
        return hp.Float(key, choices.low, choices.high, sampling=sampling, default=choices.default)
    if all(isinstance(c, bool) for c in choices) and len(set(choices)) == 2:
        return hp.Boolean(key, default=choices[0])  # KerasTuner's Choice turns bools to ints
    return hp.Choice(key, choices, default=choices[0])


@dataclasses.dataclass(frozen=True)
class _Trainer:
    """Trains ``tuned_cnn`` with one set of hyperparameters and scores it."""

    data: Any
    epochs: int
    schedule: str
    warmup_epochs: int
    augment_on: str
    placement: Mapping[str, Any]
    last: int

    def build(self, values: Mapping[str, Any]) -> Any:
        import keras

        from foodvision.models import build_model

        keras.backend.clear_session()  # memory stays flat across trials
        architecture, _ = split_hyperparameters(values)
        return build_model(
            "tuned_cnn",
            num_classes=self.data.num_classes,
            input_shape=(*self.data.image_size, 3),
            **architecture,
        )

    def fit(
        self, model: Any, values: Mapping[str, Any], seed: int, callbacks: Any = ()
    ) -> dict[str, float]:
        from foodvision.training import train

        history = train(
            model,
            self.data,
            epochs=self.epochs,
            learning_rate=values.get("learning_rate", 1e-3),
            weight_decay=values.get("weight_decay", 0.0),
            label_smoothing=values.get("label_smoothing", 0.0),
            schedule=self.schedule,
            warmup_epochs=min(self.warmup_epochs, self.epochs - 1),
            augmentation=values.get("augmentation", "standard"),
            augment_on=self.augment_on,
            callbacks=callbacks,
            seed=seed,
            verbose=0,
            **self.placement,
        )
        curve = history.history.get("val_accuracy", [])
        return {SCORE: smoothed_score(curve, self.last), "val_accuracy": float(curve[-1])}


def _make_hypermodel(trainer: _Trainer, space: Mapping[str, Any], seed: int) -> Any:
    import keras_tuner

    class CNNHyperModel(keras_tuner.HyperModel):
        """``tuned_cnn`` with hyperparameters drawn from ``space``."""

        def build(self, hp: Any) -> Any:
            values = {key: _hyperparameter(hp, key, c) for key, c in space.items()}
            return trainer.build(values)

        def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
            if "tuner/epochs" in hp.values:  # Hyperband: this bracket's budget
                budget = _trained_epochs(hp.values, trainer.epochs)
                short = dataclasses.replace(trainer, epochs=budget, last=score_epochs(budget))
                return short.fit(model, hp.values, seed, kwargs.get("callbacks", ()))
            return trainer.fit(model, hp.values, seed, kwargs.get("callbacks", ()))

    return CNNHyperModel()


def tune_cnn(
    data: Any,
    *,
    tuner: str = "bayesian",
    max_trials: int = 10,
    epochs: int = 10,
    factor: int = 3,
    search_space: Mapping[str, Any] | None = None,
    schedule: str = "cosine",
    warmup_epochs: int = 1,
    initial_trials: int | None = None,
    start_points: Sequence[Mapping[str, Any]] = (),
    confirm_top: int = 2,
    confirm_seeds: int = 1,
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

    Each trial trains ``epochs`` epochs with the given schedule (the run the winner is
    retrained with) and scores the mean validation accuracy of its last epochs
    (:func:`smoothed_score`). The ``confirm_top`` best trials then train again on
    ``confirm_seeds`` more seeds each, and the best mean score wins.

    KerasTuner's own distributed search works unchanged: started with its
    ``KERASTUNER_TUNER_ID`` (``chief`` or ``tuner0``, ``tuner1``...),
    ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT`` variables, the chief's call
    serves the oracle until every trial is done, confirms the best and returns the
    result; each worker's call runs trials and returns ``None``.

    Args:
        data: An :class:`~foodvision.ImageData` with a validation split.
        tuner: ``"bayesian"`` (``max_trials`` trials of ``epochs`` each: Gaussian-process
            Bayesian optimisation after ``initial_trials`` random ones, the first at the
            defaults) or ``"hyperband"`` (``epochs`` is the most a trial trains;
            ``max_trials`` is ignored; a trial of a smaller budget runs its own, shorter
            schedule, so its score predicts the full run less well).
        max_trials: Trials of the Bayesian search.
        epochs: Epochs per trial (Bayesian) or maximum epochs of a trial (Hyperband).
        factor: Hyperband's reduction factor.
        search_space: ``{name: choices or SearchRange}``, default
            :data:`DEFAULT_SEARCH_SPACE`; names are ``tuned_cnn`` options plus
            ``learning_rate``, ``weight_decay``, ``label_smoothing`` and ``augmentation``.
        schedule: Learning-rate schedule of every trial (see :func:`foodvision.train`).
        warmup_epochs: Warm-up epochs of the cosine schedule.
        initial_trials: Trials before the Bayesian model guides the search (the first
            at the defaults, then ``start_points``, then random ones); default half of
            ``max_trials``, at least 2.
        start_points: Configurations the Bayesian search tries right after the
            defaults, each a mapping of some hyperparameters over the defaults: known
            recipes, measured on this data like any trial (they win only by their
            validation score).
        confirm_top: How many of the best trials train again (0: none).
        confirm_seeds: How many more seeds each of them trains with.
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
        >>> search = fv.tune_cnn(data, max_trials=12, epochs=30,
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
    check_int("confirm_top", confirm_top, 0)
    check_int("confirm_seeds", confirm_seeds, 0)
    initial = max(2, max_trials // 2) if initial_trials is None else initial_trials
    check_int("initial_trials", initial, 1)
    space = _check_space(search_space or DEFAULT_SEARCH_SPACE, min(data.image_size))
    starts = check_start_points(start_points, space, tuner)
    placement = {
        "precision": precision,
        "distribution": distribution,
        "steps_per_execution": steps_per_execution,
    }
    trainer = _Trainer(
        data, epochs, schedule, warmup_epochs, augment_on, placement, score_epochs(epochs)
    )
    search = _make_tuner(
        tuner,
        _make_hypermodel(trainer, space, seed),
        epochs,
        factor,
        max_trials,
        max(initial, len(starts) + 1),
        seed,
        directory,
        starts=starts,
        overwrite=overwrite,
    )
    timings = _TrialTimings.attach(search)
    start = time.perf_counter()
    search.search(epochs=epochs, verbose=1 if verbose else 0)
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
    confirmations = _confirm(
        trainer, scored, confirm_top, confirm_seeds, seed, Path(directory) / "confirmations"
    )
    best = _chosen(scored, confirmations)
    return TuningResult(
        best_hyperparameters=json_safe(best["hyperparameters"]),
        best_score=best["mean"],
        trials=json_safe(trials),
        tuner=tuner,
        seconds=time.perf_counter() - start,
        confirmations=json_safe(confirmations),
        epochs_trained=sum(t["epochs"] for t in trials)
        + epochs * sum(len(c["seeds"]) - 1 for c in confirmations),
    )


def _confirm(
    trainer: _Trainer,
    scored: list[dict[str, Any]],
    top: int,
    extra_seeds: int,
    seed: int,
    directory: Path,
) -> list[dict[str, Any]]:
    """Train the ``top`` best full-length trials again on ``extra_seeds`` more seeds each.

    Each finished run is kept in ``directory`` (one JSON file), so an interrupted search
    resumes its confirmations too.
    """
    full = [t for t in scored if t["budget"] == trainer.epochs]
    ranked = sorted(full, key=lambda t: -t["score"])[:top] if extra_seeds else []
    rows = []
    for trial in ranked:
        scores, seeds = [trial["score"]], [seed]
        for k in range(1, extra_seeds + 1):
            run_seed = seed + 1000 * k
            path = directory / f"trial{trial['trial']}_seed{run_seed}.json"
            if path.exists():
                score = json.loads(path.read_text())[SCORE]
            else:
                logger.info("[search] confirming trial %d on seed %d", trial["trial"], run_seed)
                values = trial["hyperparameters"]
                score = trainer.fit(trainer.build(values), values, run_seed)[SCORE]
                directory.mkdir(parents=True, exist_ok=True)
                write_text_atomic(path, json.dumps({SCORE: score}) + "\n")
            scores.append(score)
            seeds.append(run_seed)
        mean = sum(scores) / len(scores)
        logger.info(
            "[search] trial %d: mean score %.4f over %d seeds", trial["trial"], mean, len(scores)
        )
        rows.append({"trial": trial["trial"], "seeds": seeds, "scores": scores, "mean": mean})
    return rows


def _chosen(scored: list[dict[str, Any]], confirmations: list[dict[str, Any]]) -> dict:
    """The winner: the best confirmed mean, else the best single score."""
    if confirmations:
        row = max(confirmations, key=lambda c: c["mean"])
        trial = next(t for t in scored if t["trial"] == row["trial"])
        return {**trial, "mean": row["mean"]}
    trial = max(scored, key=lambda t: t["score"])
    return {**trial, "mean": trial["score"]}


def _make_tuner(
    tuner: str,
    hypermodel: Any,
    epochs: int,
    factor: int,
    max_trials: int,
    initial_trials: int,
    seed: int,
    directory: str | Path,
    *,
    starts: Sequence[Mapping[str, Any]],
    overwrite: bool,
) -> Any:
    """KerasTuner's Hyperband, or a Bayesian search that starts at the defaults, then ``starts``.

    The Bayesian oracle's ``alpha`` (noise added to its Gaussian process, on scores it
    scales to unit variance) is 0.1, not KerasTuner's 1e-4: two runs of one
    configuration differ by a point or two of validation accuracy, a sizeable share of
    the spread between configurations, and a model that believes every score exactly
    chases noise.
    """
    import keras_tuner

    objective = keras_tuner.Objective(SCORE, "max")
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
    oracle = _first_trials_at(
        keras_tuner.oracles.BayesianOptimizationOracle(
            objective=objective,
            max_trials=max_trials,
            num_initial_points=min(initial_trials, max_trials),
            alpha=0.1,
            seed=seed,
        ),
        starts,
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
                score = _trial_score(result)
                logger.info(
                    "[search] trial %d: score %s in %.0f s",
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
            "epochs": _trained_epochs(values, epochs),
            "budget": int(values.get("tuner/epochs", epochs)),
            "seconds": self.seconds.get(trial.trial_id),
            "peak_memory_mb": self.memory.get(trial.trial_id),
            "hyperparameters": {k: v for k, v in values.items() if k in space},
        }


def _trained_epochs(values: Mapping[str, Any], epochs: int) -> int:
    """Epochs a trial trains: ``epochs``, or under Hyperband its bracket's budget.

    A promoted Hyperband trial starts from its parent's weights and trains the budget
    less the epochs its parent trained.
    """
    if "tuner/epochs" not in values:
        return epochs
    return max(1, int(values["tuner/epochs"]) - int(values.get("tuner/initial_epoch", 0)))


def _compact(values: Mapping[str, Any]) -> str:
    """Hyperparameters on one line: ``name=value, ...`` (floats to 4 significant digits)."""
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def _trial_score(result: Any) -> float | None:
    """The objective value a trial's fit returned (one dict per execution)."""
    items = result if isinstance(result, list) else [result]
    values = [item[SCORE] for item in items if isinstance(item, dict) and SCORE in item]
    return sum(values) / len(values) if values else None


def _first_trials_at(oracle: Any, starts: Sequence[Mapping[str, Any]]) -> Any:
    """Make the oracle's first trial use every hyperparameter's default, the next ``starts``.

    The defaults are the step-3 model (see :data:`DEFAULT_SEARCH_SPACE`), so the search
    always measures the model it tries to improve; each start point changes some of them;
    later trials are the oracle's. The trials already made (also those of a resumed
    search) say which comes next.
    """
    suggest = oracle.populate_space

    def populate_space(trial_id: str) -> dict[str, Any]:
        made = len(oracle.trials)
        if made <= len(starts):
            values = {hp.name: hp.default for hp in oracle.hyperparameters.space}
            values.update(starts[made - 1] if made else {})
            return {"status": "RUNNING", "values": values}
        return suggest(trial_id)

    oracle.populate_space = populate_space
    return oracle
