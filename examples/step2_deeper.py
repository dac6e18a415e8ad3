"""Step 2: a deeper CNN from scratch (more conv + max-pool blocks), with curves.

python examples/step2_deeper.py                       # built-in synthetic data
python examples/step2_deeper.py --data path/to/food-101
"""

from common import load, parse_args, save_report

import foodvision as fv


def main() -> None:
    args = parse_args(__doc__, epochs=12, image_size=64, out="runs/step2_deeper")
    data = load(args)
    print(data.summary())
    model = fv.build_model(
        "deeper_cnn", num_classes=data.num_classes, input_shape=(*data.image_size, 3)
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
