"""Step 3: the deeper CNN with data augmentation and dropout; curves and confusion matrix.

Augmentation (``augmentation="standard"``: contrast, brightness, flips, rotations, zoom,
translation) runs where ``augment_on="auto"`` puts it: inside the compiled train step.
``augmented_cnn`` is ``deeper_cnn`` with spatial and dense dropout.

    python examples/step3_augmented.py --data path/to/food-101
"""

from common import load, parse_args, save_report

import foodvision as fv


def main() -> None:
    args = parse_args(__doc__, epochs=15, image_size=64, out="runs/step3_augmented")
    data = load(args)
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
    save_report(model, data, history, args.out)


if __name__ == "__main__":
    main()
