"""Step 5: fine-tune an ImageNet-pretrained VGG16, then look inside it.

Phase 1 trains a new head on the frozen base (the base runs once: its features are
cached); phase 2 (``--finetune-epochs N``; the default 0 skips it) also trains the top
block at a lower learning rate. The report shows
first-layer filters, feature maps and Grad-CAM on right and wrong predictions.

Pretrained weights: ``$FOODVISION_WEIGHTS_DIR/vgg16_imagenet_notop.weights.h5`` if set,
else Keras downloads them.

    python examples/step5_vgg16_finetune.py --data path/to/food-101 --finetune-epochs 5
"""

import argparse

from common import load, parse_args, save_report

import foodvision as fv


def main() -> None:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--finetune-epochs", type=int, default=0)
    args = parse_args(__doc__, epochs=30, image_size=224, out="runs/step5_vgg16", parents=(extra,))
    data = load(args)
    model = fv.build_model(
        "vgg16_finetune", num_classes=data.num_classes, input_shape=(*data.image_size, 3)
    )
    result = fv.fine_tune(
        model,
        data,
        head_epochs=args.epochs,
        finetune_epochs=args.finetune_epochs,
        checkpoint_dir=args.out / "checkpoint",
        seed=args.seed,
    )
    # result.history: both phases; test_outputs come from the cached features, so the
    # base does not run over the test images again
    save_report(model, data, result.history, args.out, outputs=result.test_outputs)


if __name__ == "__main__":
    main()
