"""``study.html``: the steps side by side, with intervals, significance and curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from foodvision.base.figures import new_figure, png_bytes
from foodvision.base.html import cards, esc, image, number, page, table

ALPHA = 0.05


def _label(step: Mapping[str, Any]) -> str:
    return f"{step['step']}: {step['name']}"


def plot_step_accuracy(steps: Sequence[Mapping[str, Any]]) -> Any:
    """Bar chart of each step's test accuracy with its 95 % bootstrap interval."""
    figure = new_figure(7, 3.4)
    axis = figure.add_subplot(1, 1, 1)
    names = [_label(s) for s in steps]
    values = [s["test_accuracy"] for s in steps]
    low = [s["test_accuracy"] - s["test_accuracy_ci95"][0] for s in steps]
    high = [s["test_accuracy_ci95"][1] - s["test_accuracy"] for s in steps]
    bars = axis.bar(names, values, yerr=[low, high], capsize=6, color="#4c84c4")
    for bar, value in zip(bars, values):
        axis.text(
            bar.get_x() + bar.get_width() / 2, 0.02, f"{value:.1%}", ha="center", color="white"
        )
    several = any(len(s.get("test_accuracy_per_seed", ())) > 1 for s in steps)
    for position, step in enumerate(steps):
        dots = step.get("test_accuracy_per_seed", ())
        if len(dots) > 1:
            axis.plot([position] * len(dots), dots, "o", color="#d9822b", ms=4)
    axis.set_ylim(0, 1)
    axis.set_ylabel("test accuracy")
    axis.set_title(
        "Mean test accuracy over seeds (dots: each seed; bars: 95% interval)"
        if several
        else "Test accuracy per step (bars: 95% bootstrap interval)"
    )
    return figure


def plot_validation_curves(histories: Mapping[int, Mapping[str, Sequence[float]]]) -> Any:
    """Validation accuracy per epoch of every step, overlaid."""
    figure = new_figure(7, 3.4)
    axis = figure.add_subplot(1, 1, 1)
    for step, history in sorted(histories.items()):
        values = history.get("val_accuracy") or history.get("accuracy") or []
        if values:
            axis.plot(range(1, len(values) + 1), values, marker=".", label=f"step {step}")
    axis.set_xlabel("epoch")
    axis.set_ylabel("validation accuracy")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right")
    axis.set_title("Validation accuracy during training")
    return figure


def verdict(comparison: Mapping[str, Any]) -> str:
    """One sentence: did the accuracy change between two steps, beyond noise?

    Example:
        >>> verdict({"from_step": 1, "to_step": 3, "accuracy_change": 0.08,
        ...          "p_value": 0.001, "significant": True})
        'Step 3 vs step 1: +8.0 points, McNemar p = 0.001: a real improvement.'

    """
    change = comparison["accuracy_change"] * 100
    head = f"Step {comparison['to_step']} vs step {comparison['from_step']}: {change:+.1f} points"
    if "p_holm" in comparison:
        return _verdict_over_seeds(comparison, head)
    p_value = comparison.get("p_value")
    if p_value is None:
        return f"{head} (not tested: {comparison.get('note', 'no paired results')})."
    test = f"McNemar p = {p_value:.3g}"
    if p_value >= ALPHA:
        return f"{head}, {test}: within noise, not a real difference on this test set."
    word = "improvement" if change > 0 else "drop"
    return f"{head}, {test}: a real {word}."


def _verdict_over_seeds(comparison: Mapping[str, Any], head: str) -> str:
    """The sentence of a comparison paired over seeds (see ``seeds.compare_over_seeds``)."""
    low, high = (v * 100 for v in comparison["change_ci95"])
    margin = comparison["equivalence_margin"] * 100
    head = (
        f"{head} on the mean over seeds (95% interval {low:+.1f} to {high:+.1f}, "
        f"Holm-corrected p = {comparison['p_holm']:.3g})"
    )
    kind = comparison["verdict"]
    if kind in ("improvement", "drop"):
        return f"{head}: a real {kind}."
    e_low, e_high = (v * 100 for v in comparison["equivalence_ci90"])
    if kind == "equivalent":
        return (
            f"{head}: equivalent within {margin:.1f} points (90% interval {e_low:+.1f} to "
            f"{e_high:+.1f})."
        )
    return (
        f"{head}: inconclusive: not a shown difference, and not shown equivalent within "
        f"{margin:.1f} points either (90% interval {e_low:+.1f} to {e_high:+.1f})."
    )


def _search_budget(step: Mapping[str, Any]) -> str:
    """How much training the step-4 search cost, against its retraining."""
    trained = step.get("tuning_epochs")
    retrain = step.get("epochs_run")
    if not trained or not retrain:
        return ""
    confirmed = step.get("confirmations") or []
    again = (
        f", then the best {len(confirmed)} again on {len(confirmed[0]['seeds']) - 1} more "
        "seed(s) each, the best mean chosen"
        if confirmed
        else ""
    )
    return (
        f" Budget: the search trained {trained:.0f} epochs in all, {trained / retrain:.1f} "
        f"times the {retrain:.0f} epochs of the retraining ({step.get('tuning_trials')} "
        f"trials{again})."
    )


def _settings(values: Mapping[str, Any]) -> str:
    """Hyperparameters on one line, numbers to 3 significant digits."""
    return ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def _phase2_extras(step: Mapping[str, Any]) -> str:
    """The rates per block and the weight averaging of phase 2, as the end of a clause."""
    text = ""
    if step.get("rate_decay"):
        text += (
            f", each block below the top one at {step['rate_decay']:g} times the learning "
            "rate of the block above it"
        )
    if step.get("averaged_epochs"):
        text += (
            f", ending with the mean of the weights of its last {step['averaged_epochs']} "
            "epochs (weight averaging)"
        )
    return text


def step_details(step: Mapping[str, Any]) -> str:
    """What the page says under a step of ``summary.json``: options, search, phases.

    Example:
        >>> step_details({"head_epochs": 30, "finetune_epochs": 0})
        'Phase 1: 30 epochs on the frozen base; no phase 2 in this profile: the base stayed frozen.'
    """
    parts = []
    if step.get("model_options") and "best_hyperparameters" not in step:
        parts.append(
            f"Built with these options over {esc(step.get('model'))}'s defaults: "
            f"{esc(_settings(step['model_options']))}."
        )
    if "best_hyperparameters" in step:
        parts.append(
            f"Search: {step.get('tuner')} with {step.get('tuning_trials')} trials in "
            f"{step.get('tuning_seconds', 0):.0f}s; chosen with a mean validation score "
            f"(last epochs) of {number(step.get('best_trial_val_accuracy'))}: "
            f"{esc(_settings(step['best_hyperparameters']))}.{esc(_search_budget(step))} Trials: "
            f'<a href="{esc(step.get("search_results", "tuning"))}/trials.json">trials.json</a>.'
        )
    if "head_epochs" in step:
        tuned = step.get("finetune_epochs", 0)
        augmented = (
            f", on augmented images ({esc(step['augmentation'])})"
            if step.get("augmentation")
            else ""
        )
        phase2 = (
            f"phase 2: {tuned} epochs with the top {step.get('trainable_blocks')} block(s) "
            f"trainable{augmented}{_phase2_extras(step)}"
            if tuned
            else "no phase 2 in this profile: the base stayed frozen"
        )
        parts.append(f"Phase 1: {step['head_epochs']} epochs on the frozen base; {phase2}.")
    if step.get("members", 1) > 1:
        parts.append(
            f"Scored as one ensemble of {step['members']} models trained alike, each with "
            "its own seed (the mean of their probabilities; the model file holds them all); "
            "the curves are the first model's."
        )
    if "refit_images" in step:
        first = " on the first seed" if step.get("seeds", 1) > 1 else ""
        fixed = (
            "a phase 1 on the training images alone (with its own pass of the frozen "
            f"base), validated, fixed phase 1 at {step['validated_head_epochs']} epochs{first}"
            if "validated_head_epochs" in step
            else "phase 1 ran all its epochs (no early stopping to validate)"
        )
        parts.append(
            "The scored model trained from the start on the training and validation "
            f"images together ({step['refit_images']} images); {fixed}."
        )
    if step.get("cached_features"):
        each_seed = step.get("seeds", 1) > 1
        seconds = step.get("feature_seconds", 0)
        took = (
            f"{seconds:.0f}s{' in all' if each_seed else ''}"
            if seconds
            else "before the command was last repeated"  # it resumed phase 2
        )
        parts.append(
            f"The frozen base ran once{' per seed' if each_seed else ''} over the images "
            f"({took}, features cached at {esc(step.get('cached_boundary'))}); "
            + (
                "phase 1 then trains on those features."
                if step.get("augmentation")
                else "the epochs then train on those features."
            )
        )
    if step.get("test_time_views"):
        views = " and ".join(v for v in step["test_time_views"] if v != "original")
        parts.append(
            f"Scored on the mean output over each test image and its {esc(views)} view "
            f"(test-time augmentation); the image alone: "
            f"{step['test_accuracy_single_view']:.1%}."
        )
    return " ".join(parts)


def _step_rows(
    steps: Sequence[Mapping[str, Any]], comparisons: Mapping[int, Mapping[str, Any]]
) -> list[list[Any]]:
    """One row of the steps table per step."""
    rows = []
    for step in steps:
        comparison = comparisons.get(step["step"])
        low, high = step["test_accuracy_ci95"]
        rows.append(
            [
                _label(step),
                step["model"],
                f"{step.get('image_size', '-')}px",
                step["epochs_run"],
                f"{step['test_accuracy']:.1%}",
                f"{low:.1%} - {high:.1%}",
                f"{comparison['accuracy_change'] * 100:+.1f}" if comparison else "-",
                number(comparison.get("p_value")) if comparison else "-",
                f"{step['train_seconds']:.0f}",
                number(step.get("train_images_per_second"), 0),
            ]
        )
    return rows


def _changes(
    steps: Sequence[Mapping[str, Any]],
    comparisons: Mapping[int, Mapping[str, Any]],
    plan: Sequence[Mapping[str, Any]],
) -> list[str]:
    """What each step changed, with the verdict of its comparison with the step before."""
    changes = []
    for item in plan:
        step = next((s for s in steps if s["step"] == item["step"]), None)
        if step is None:
            continue
        comparison = comparisons.get(item["step"])
        sentence = verdict(comparison) if comparison else "The first step run: the reference."
        changes.append(
            f"<h3>Step {item['step']}: {esc(item['title'])}</h3>"
            f"<p>{esc(item['change'])} {step_details(step)}</p>"
            f"<p><strong>{esc(sentence)}</strong></p>"
        )
    return changes


def _seed_step_rows(steps: Sequence[Mapping[str, Any]], ensembles: bool) -> list[list[Any]]:
    """One row per step of a study over several seeds (with the seed ensemble's column)."""
    rows = []
    for step in steps:
        low, high = step["test_accuracy_ci95"]
        row = [
            _label(step),
            step["model"],
            f"{step.get('image_size', '-')}px",
            f"{step['epochs_run']:.0f}",
            f"{step['test_accuracy']:.1%} ± {step['test_accuracy_sd']:.1%}",
            " / ".join(f"{v:.1%}" for v in step["test_accuracy_per_seed"]),
            f"{low:.1%} - {high:.1%}",
        ]
        if ensembles:
            row.append(_ensemble_cell(step))
        rows.append([*row, f"{step['train_seconds']:.0f}"])
    return rows


def _ensemble_cell(step: Mapping[str, Any]) -> str:
    """The seed ensemble's accuracy and interval, or a dash where it is unknown."""
    if "seed_ensemble_accuracy" not in step:
        return "-"
    low, high = step["seed_ensemble_ci95"]
    return f"{step['seed_ensemble_accuracy']:.1%} ({low:.1%} - {high:.1%})"


def _comparison_rows(comparisons: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """One row per comparison paired over seeds."""
    rows = []
    for c in comparisons:
        low, high = (v * 100 for v in c["change_ci95"])
        e_low, e_high = (v * 100 for v in c["equivalence_ci90"])
        rows.append(
            [
                f"{c['to_step']} vs {c['from_step']}",
                f"{c['accuracy_change'] * 100:+.1f}",
                f"{low:+.1f} to {high:+.1f}",
                " / ".join(f"{v * 100:+.1f}" for v in c["change_per_seed"]),
                number(c["p_value"]),
                number(c["p_holm"]),
                f"{e_low:+.1f} to {e_high:+.1f} (±{c['equivalence_margin'] * 100:.1f})",
                c["verdict"],
            ]
        )
    return rows


def _tables(summary: Mapping[str, Any], comparisons: Mapping[int, Any]) -> list[str]:
    """The steps table (and, over seeds, the comparisons table) with their notes."""
    steps = summary["steps"]
    if "seeds" not in summary:
        return [
            table(
                [
                    "Step",
                    "Model",
                    "Images",
                    "Epochs",
                    "Test accuracy",
                    "95% CI",
                    "Change (points)",
                    "McNemar p",
                    "Train s",
                    "Images/s",
                ],
                _step_rows(steps, comparisons),
                text_columns=(0, 1),
            ),
            '<p class="meta">95% CI: percentile bootstrap over the test images. McNemar p: '
            "exact test of each step against the step before on the same test images; below "
            f"{ALPHA} the change is unlikely to be noise. Images/s: training images per "
            "second of wall time, the one-off feature pass included.</p>",
        ]
    seeds = summary["seeds"]
    ensembles = any("seed_ensemble_accuracy" in step for step in steps)
    headers = ["Step", "Model", "Images", "Epochs (mean)", "Test accuracy (mean ± sd)"]
    headers += ["Each seed", "95% CI of the mean"]
    headers += ["Seed ensemble (95% CI)"] if ensembles else []
    return [
        table(
            [*headers, "Train s (all seeds)"],
            _seed_step_rows(steps, ensembles),
            text_columns=(0, 1, 5),
        ),
        "<h2>Comparisons, paired by seed</h2>",
        table(
            [
                "Steps",
                "Mean change (points)",
                "95% CI",
                "Each seed",
                "p",
                "Holm p",
                "90% CI (margin)",
                "Verdict",
            ],
            _comparison_rows(summary.get("comparisons", [])),
            text_columns=(0, 3, 6, 7),
        ),
        f'<p class="meta">{len(seeds)} seeds ({esc(", ".join(map(str, seeds)))}); seed k of '
        "every step shares its data split (the validation images are redrawn per seed) "
        "and its training seed, and every seed is tested on the same test images. "
        "Intervals: two-way bootstrap, drawing seeds and test images independently, so "
        "they count both the spread between seeds and the sampling of the test images. "
        "p: bootstrap test of no difference; Holm p: corrected for the comparisons made "
        f"together; below {ALPHA} a difference is claimed. Equivalence: the 90% interval "
        "inside ±margin (two one-sided tests at 5%); otherwise, without a "
        "difference, the verdict is inconclusive. Step 4's search ran once, on the first "
        "seed's split; every seed retrained its choice. "
        + (
            "Seed ensemble: the seeds' models of a step as one model (the class of highest "
            "mean probability), with a bootstrap interval over the test images; it needs no "
            "more training, and it is not one of the compared results "
            "(<code>fv.ensemble_models</code> builds it as one model file). "
            if ensembles
            else ""
        )
        + "Each seed's own page (McNemar "
        "tests of its models) is in its folder: "
        + ", ".join(f'<a href="seed{k}/study.html">seed {k}</a>' for k in seeds)
        + ".</p>",
    ]


def _reference(summary: Mapping[str, Any]) -> list[str]:
    """The reference row (a stronger backbone trained as step 5 is), or why there is none."""
    entry = summary.get("reference")
    if not entry:
        return []
    if not entry.get("available"):
        return [
            "<h2>Reference</h2>",
            f"<p>{esc(entry['model'])}, a stronger ImageNet backbone trained as step 5 is: "
            f"not available here ({esc(entry.get('reason', 'no weights'))}).</p>",
        ]
    low, high = entry["test_accuracy_ci95"]
    report = Path(entry["report_dir"]).as_posix()
    return [
        "<h2>Reference</h2>",
        f"<p>{esc(entry['model'])}, a stronger ImageNet backbone trained as step 5 is (first "
        f"seed): test accuracy <strong>{entry['test_accuracy']:.1%}</strong> (95% CI "
        f"{low:.1%} - {high:.1%}), {entry['train_seconds']:.0f} s; "
        f'<a href="{esc(report)}/report.html">its report</a>. How far transfer learning '
        "goes on this data, not one of the compared steps.</p>",
    ]


def render_study_page(
    summary: Mapping[str, Any], pngs: Mapping[str, bytes], plan: Sequence[Mapping[str, Any]]
) -> str:
    """The HTML of ``study.html`` (figures embedded): one seed, or several paired."""
    steps = summary["steps"]
    comparisons = {c["to_step"]: c for c in summary.get("comparisons", [])}
    best = max(steps, key=lambda s: s["test_accuracy"])
    several = "seeds" in summary
    links = "".join(
        f'<li><a href="{esc(Path(s["report_dir"]).as_posix())}/report.html">Step {s["step"]} '
        f"report</a> ({esc(s['model'])}): curves, confusion matrix, mistakes, filters, "
        "feature maps and Grad-CAM; the trained model: "
        f'<a href="{esc(Path(s.get("model_file", "")).as_posix())}">'
        f"{esc(Path(s.get('model_file', '')).as_posix())}</a></li>"
        for s in steps
    )
    seed_text = (
        f"seeds {esc(', '.join(map(str, summary['seeds'])))}"
        if several
        else f"seed {esc(summary['seed'])}"
    )
    best_value = f"{best['test_accuracy']:.1%}" + (
        f" ± {best['test_accuracy_sd']:.1%}" if several else ""
    )
    body = [
        "<h1>Food classification study</h1>",
        f'<p class="meta">{esc(summary["dataset"])} &middot; {len(summary["class_names"])} '
        f"classes &middot; backend {esc(summary['backend'])} &middot; profile "
        f"{esc(summary['profile'])} &middot; {seed_text}</p>",
        cards(
            [
                ("best step", f"{best['step']}: {best['name']}"),
                ("best test accuracy" + (" (mean)" if several else ""), best_value),
                ("test images", str(summary.get("test_images", "-"))),
                ("total time", f"{summary.get('total_seconds', 0) / 60:.1f} min"),
            ]
        ),
        "<h2>Steps</h2>",
        *_tables(summary, comparisons),
        *_reference(summary),
        image(pngs.get("accuracy"), "accuracy.png", "test accuracy per step"),
        image(pngs.get("curves"), "curves.png", "validation curves"),
        "<h2>What changed, step by step</h2>",
        *_changes(steps, comparisons, plan),
        "<h2>Reports" + (" (first seed)" if several else "") + "</h2>",
        f"<ul>{links}</ul>",
    ]
    return page("Food classification study", "\n".join(body))


def write_study_page(
    out: Path, summary: Mapping[str, Any], histories: Mapping[int, Mapping[str, Any]]
) -> Path:
    """Write ``accuracy.png``, ``curves.png`` and ``study.html`` into ``out``."""
    pngs = {
        "accuracy": png_bytes(plot_step_accuracy(summary["steps"])),
        "curves": png_bytes(plot_validation_curves(histories)),
    }
    for name, data in pngs.items():
        (out / f"{name}.png").write_bytes(data)
    path = out / "study.html"
    path.write_text(render_study_page(summary, pngs, summary["plan"]), encoding="utf-8")
    return path
