"""Step 4: tune the step-3 model with KerasTuner, then retrain it with the best choices.

The search covers depth, filters, dense units, dropout rates, learning rate and
augmentation strength; the trials table, the best hyperparameters and a plot of the
trial scores are saved under ``--out``/tuning.

    python examples/step4_tuning.py --tuner hyperband --trial-epochs 10
"""

import argparse

from common import load, parse_args, save_report

import foodvision as fv


def main() -> None:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--tuner", choices=("bayesian", "hyperband"), default="bayesian")
    extra.add_argument("--trials", type=int, default=4)
    extra.add_argument("--trial-epochs", type=int, default=3)
    args = parse_args(__doc__, epochs=15, image_size=64, out="runs/step4_tuning", parents=(extra,))
    data = load(args)
    search = fv.tune_cnn(
        data,
        tuner=args.tuner,
        max_trials=args.trials,
        epochs=args.trial_epochs,
        directory=args.out / "tuner",
        seed=args.seed,
    )
    search.save(args.out / "tuning")
    print(
        f"best hyperparameters (validation accuracy {search.best_score:.1%}): "
        f"{search.best_hyperparameters}"
    )
    model = fv.build_model(  # the model's options; the training settings go to fv.train
        "tuned_cnn",
        num_classes=data.num_classes,
        input_shape=(*data.image_size, 3),
        **search.architecture,
    )
    history = fv.train(
        model,
        data,
        epochs=args.epochs,
        learning_rate=search.training.get("learning_rate", 1e-3),
        schedule="cosine",
        augmentation=search.training.get("augmentation", "standard"),
        checkpoint_dir=args.out / "checkpoint",
        seed=args.seed,
    )
    save_report(model, data, history, args.out)


if __name__ == "__main__":
    main()
