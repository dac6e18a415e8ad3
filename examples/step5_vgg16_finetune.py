"""Step 5: fine-tune an ImageNet-pretrained VGG16, then look inside it.

Phase 1 trains a new head on the frozen base (the base runs once: its features are
cached); phase 2 also trains the top block at a lower learning rate. The report shows
first-layer filters, feature maps and Grad-CAM on right and wrong predictions.

Pretrained weights: ``$FOODVISION_WEIGHTS_DIR/vgg16_imagenet_notop.weights.h5`` if set,
else Keras downloads them.

    python examples/step5_vgg16_finetune.py --data path/to/food-101 --finetune-epochs 5
"""

import argparse

from common import parse_args

import foodvision as fv


def main() -> None:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--finetune-epochs", type=int, default=0)
    args = parse_args(__doc__, epochs=30, image_size=224, out="runs/step5_vgg16", parents=(extra,))
    data = fv.load_data(args.data, image_size=(args.image_size, args.image_size), seed=args.seed)
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
    history = {
        key: result.head.history[key] + (result.finetune.history[key] if result.finetune else [])
        for key in result.head.history
    }
    report = fv.evaluate(
        model,
        data.test,
        data.class_names,
        history=history,
        files=data.files.get("test"),
        outputs=result.test_outputs,  # from the cached features: the base does not run again
    )
    page = report.save(args.out / "report")
    print(f"test accuracy {report.accuracy:.1%}; report: {page}")


if __name__ == "__main__":
    main()
