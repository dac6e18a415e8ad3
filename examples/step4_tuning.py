"""Step 4: tune the step-3 model with KerasTuner, then retrain it with the best choices.

The search covers learning rate, weight decay, label smoothing, augmentation strength,
width, convolutions per block, batch normalisation, head and dropout
(``fv.DEFAULT_SEARCH_SPACE``); each trial trains as long as the retraining
(``--trial-epochs``, default ``--epochs``), is scored by its last epochs, and the best
two train again on a second seed. The trials table, the chosen hyperparameters and a plot
of the trial scores are saved under ``--out``/tuning.

    python examples/step4_tuning.py --trials 8 --epochs 30
"""

import argparse

from common import load, parse_args, save_report

import foodvision as fv


def main() -> None:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--tuner", choices=("bayesian", "hyperband"), default="bayesian")
    extra.add_argument("--trials", type=int, default=4)
    extra.add_argument("--trial-epochs", type=int, default=None)
    args = parse_args(__doc__, epochs=15, image_size=64, out="runs/step4_tuning", parents=(extra,))
    data = load(args)
    search = fv.tune_cnn(
        data,
        tuner=args.tuner,
        max_trials=args.trials,
        epochs=args.trial_epochs or args.epochs,
        schedule="cosine",
        directory=args.out / "tuner",
        seed=args.seed,
    )
    search.save(args.out / "tuning")
    print(
        f"chosen hyperparameters (mean validation score {search.best_score:.1%}): "
        f"{search.best_hyperparameters}"
    )
    model = fv.build_model(  # the model's options; the training settings go to fv.train
        "tuned_cnn",
        num_classes=data.num_classes,
        input_shape=(*data.image_size, 3),
        **search.architecture,
    )
    history = fv.train(  # learning rate, weight decay, label smoothing, augmentation
        model,
        data,
        epochs=args.epochs,
        schedule="cosine",
        checkpoint_dir=args.out / "checkpoint",
        seed=args.seed,
        **search.training,
    )
    save_report(model, data, history, args.out)


if __name__ == "__main__":
    main()
