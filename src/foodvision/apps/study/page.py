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
    axis.set_ylim(0, 1)
    axis.set_ylabel("test accuracy")
    axis.set_title("Test accuracy per step (bars: 95% bootstrap interval)")
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
    p_value = comparison.get("p_value")
    if p_value is None:
        return f"{head} (not tested: {comparison.get('note', 'no paired results')})."
    test = f"McNemar p = {p_value:.3g}"
    if p_value >= ALPHA:
        return f"{head}, {test}: within noise, not a real difference on this test set."
    word = "improvement" if change > 0 else "drop"
    return f"{head}, {test}: a real {word}."


def _details(step: Mapping[str, Any]) -> str:
    parts = []
    if "best_hyperparameters" in step:
        parts.append(
            f"Search: {step.get('tuner')} with {step.get('tuning_trials')} trials in "
            f"{step.get('tuning_seconds', 0):.0f}s; best validation accuracy "
            f"{number(step.get('best_trial_val_accuracy'))} with "
            f"{esc(step['best_hyperparameters'])}. Trials: "
            f'<a href="{esc(Path(step["report_dir"]).parent.as_posix())}/tuning/trials.json">'
            "trials.json</a>."
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
            f"trainable{augmented}"
            + (
                f", ending with the mean of the weights of its last {step['averaged_epochs']} "
                "epochs (weight averaging)"
                if step.get("averaged_epochs")
                else ""
            )
            if tuned
            else "no phase 2 in this profile: the base stayed frozen"
        )
        parts.append(f"Phase 1: {step['head_epochs']} epochs on the frozen base; {phase2}.")
    if step.get("cached_features"):
        parts.append(
            f"The frozen base ran once over the images ({step.get('feature_seconds', 0):.0f}s, "
            f"features cached at {esc(step.get('cached_boundary'))}); "
            + (
                "phase 1 then trains on those features."
                if step.get("augmentation")
                else "the epochs then train on those features."
            )
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
            f"<p>{esc(item['change'])} {_details(step)}</p>"
            f"<p><strong>{esc(sentence)}</strong></p>"
        )
    return changes


def render_study_page(
    summary: Mapping[str, Any], pngs: Mapping[str, bytes], plan: Sequence[Mapping[str, Any]]
) -> str:
    """The HTML of ``study.html`` (figures embedded)."""
    steps = summary["steps"]
    comparisons = {c["to_step"]: c for c in summary.get("comparisons", [])}
    best = max(steps, key=lambda s: s["test_accuracy"])
    links = "".join(
        f'<li><a href="{esc(Path(s["report_dir"]).as_posix())}/report.html">Step {s["step"]} '
        f"report</a> ({esc(s['model'])}): curves, confusion matrix, mistakes, filters, "
        "feature maps and Grad-CAM; the trained model: "
        f'<a href="{esc(Path(s.get("model_file", "")).as_posix())}">'
        f"{esc(Path(s.get('model_file', '')).as_posix())}</a></li>"
        for s in steps
    )
    body = [
        "<h1>Food classification study</h1>",
        f'<p class="meta">{esc(summary["dataset"])} &middot; {len(summary["class_names"])} '
        f"classes &middot; backend {esc(summary['backend'])} &middot; profile "
        f"{esc(summary['profile'])} &middot; seed {esc(summary['seed'])}</p>",
        cards(
            [
                ("best step", f"{best['step']}: {best['name']}"),
                ("best test accuracy", f"{best['test_accuracy']:.1%}"),
                ("test images", str(summary.get("test_images", "-"))),
                ("total time", f"{summary.get('total_seconds', 0) / 60:.1f} min"),
            ]
        ),
        "<h2>Steps</h2>",
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
        '<p class="meta">95% CI: percentile bootstrap over the test images. McNemar p: exact '
        "test of each step against the step before on the same test images; below "
        f"{ALPHA} the change is unlikely to be noise. Images/s: training images per second "
        "of wall time, the one-off feature pass included.</p>",
        image(pngs.get("accuracy"), "accuracy.png", "test accuracy per step"),
        image(pngs.get("curves"), "curves.png", "validation curves"),
        "<h2>What changed, step by step</h2>",
        *_changes(steps, comparisons, plan),
        "<h2>Reports</h2>",
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
