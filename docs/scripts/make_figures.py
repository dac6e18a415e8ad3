"""Make the documentation's Grad-CAM and feature-map figures on the built-in data.

The figures of the real study (Food-101 photos) cannot be redistributed, so the docs show
the same figures made on the built-in synthetic "food plates". Run from the repository
root; it writes ``docs/images/synthetic_grad_cam.png`` and
``docs/images/synthetic_feature_maps.png`` (about two minutes on a 2-core CPU):

    python docs/scripts/make_figures.py
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # the fastest backend on a CPU

import numpy as np  # noqa: E402

import foodvision as fv  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "images"


def main() -> None:
    """Train a small CNN on the built-in data and save its Grad-CAM and feature maps."""
    data = fv.load_synthetic(image_size=(64, 64), seed=0)
    model = fv.build_model("deeper_cnn", num_classes=data.num_classes, input_shape=(64, 64, 3))
    fv.train(model, data, epochs=15, schedule="cosine", seed=0, verbose=2)
    report = fv.evaluate(model, data.test, class_names=data.class_names, interpret=False)
    print(f"test accuracy {report.accuracy:.3f}")

    images, labels = next(iter(data.test))
    images, labels = np.asarray(images)[:4], np.asarray(labels)[:4]
    probabilities = np.asarray(model.predict(images, verbose=0))
    titles = [
        f"true {data.class_names[t]}\npred {data.class_names[p.argmax()]} {p.max():.2f}"
        for t, p in zip(labels, probabilities)
    ]
    figure = fv.plot_grad_cam(images, fv.grad_cam(model, images), titles, columns=4)
    figure.savefig(OUT / "synthetic_grad_cam.png", dpi=60, bbox_inches="tight")

    maps = fv.feature_maps(model, images[0])
    figure = fv.plot_feature_maps(maps, images[0], max_channels=6)
    figure.savefig(OUT / "synthetic_feature_maps.png", dpi=60, bbox_inches="tight")


if __name__ == "__main__":
    main()
