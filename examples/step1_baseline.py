"""Step 1: a baseline CNN trained from scratch, with accuracy/loss curves.

python examples/step1_baseline.py                       # built-in synthetic data
python examples/step1_baseline.py --data path/to/food-101
"""

from common import load, parse_args, save_report

import foodvision as fv


def main() -> None:
    args = parse_args(__doc__, epochs=10, image_size=64, out="runs/step1_baseline")
    data = load(args)
    print(data.summary())
    model = fv.build_model(
        "baseline_cnn", num_classes=data.num_classes, input_shape=(*data.image_size, 3)
    )
    history = fv.train(
        model,
        data,
        epochs=args.epochs,
        schedule="cosine",
        checkpoint_dir=args.out / "checkpoint",
        seed=args.seed,
    )
    save_report(model, data, history, args.out)


if __name__ == "__main__":
    main()
