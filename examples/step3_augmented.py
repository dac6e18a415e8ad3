"""Step 3: the deeper CNN with data augmentation and dropout; curves and confusion matrix.

Augmentation runs in the tf.data pipeline (``augmentation="standard"``: flips, rotations,
zoom, translation, contrast); ``augmented_cnn`` is ``deeper_cnn`` with spatial and dense
dropout.

    python examples/step3_augmented.py --data path/to/food-101
"""

from common import parse_args

import foodvision as fv


def main() -> None:
    args = parse_args(__doc__, epochs=15, image_size=64, out="runs/step3_augmented")
    data = fv.load_data(args.data, image_size=(args.image_size, args.image_size), seed=args.seed)
    model = fv.build_model(
        "augmented_cnn", num_classes=data.num_classes, input_shape=(*data.image_size, 3)
    )
    history = fv.train(
        model,
        data,
        epochs=args.epochs,
        schedule="cosine",
        augmentation=fv.augmentation("standard", seed=args.seed),
        checkpoint_dir=args.out / "checkpoint",
        seed=args.seed,
    )
    report = fv.evaluate(
        model, data.test, data.class_names, history=history, files=data.files.get("test")
    )
    page = report.save(args.out / "report")
    print(f"test accuracy {report.accuracy:.1%}; report: {page}")


if __name__ == "__main__":
    main()
