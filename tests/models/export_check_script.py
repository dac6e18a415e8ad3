"""Export a model on the backend this process runs, run the exports, print the differences.

Run as ``python export_check_script.py OUT_DIR PHOTO...`` with ``KERAS_BACKEND`` set; prints
one JSON object: the largest absolute difference between the Keras model's probabilities
and each runtime's, and the class names each export carries.
"""

import json
import sys
from pathlib import Path

import numpy as np

import foodvision as fv
from foodvision.data.array_store import decode_file
from foodvision.data.checks import check_images


def main(out: Path, photos: list[str]) -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = fv.build_model("baseline_cnn", num_classes=3, input_shape=(64, 64, 3))
    names = ["apple_pie", "ramen", "sushi"]
    fv.save_model(model, out / "model.keras", fv.describe_model(model, names))
    checked, _ = check_images(photos, decode=False)
    x = np.stack([decode_file(c, (64, 64)) for c in checked]).astype("float32")
    expected = np.asarray(model.predict_on_batch(x))
    found = {"backend": keras.backend.backend()}

    import onnxruntime

    onnx_path = fv.export(model, out / "model.onnx", format="onnx")
    session = onnxruntime.InferenceSession(str(onnx_path))
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    found["onnx"] = float(np.abs(got - expected).max())
    meta = session.get_modelmeta().custom_metadata_map["foodvision"]
    found["onnx_classes"] = json.loads(meta)["class_names"]

    import tensorflow as tf

    saved = fv.export(out / "model.keras", out / "saved", format="saved_model")
    loaded = tf.saved_model.load(str(saved))  # kept: its variables live as long as it does
    got = loaded.serve(tf.constant(x)).numpy()
    found["saved_model"] = float(np.abs(got - expected).max())
    found["saved_model_classes"] = json.loads((saved / "foodvision.json").read_text())[
        "class_names"
    ]

    if keras.backend.backend() != "tensorflow":  # LiteRT: once, on its own backend
        print(json.dumps(found))
        return
    lite = fv.export(model, out / "model.tflite", format="litert")
    interpreter = tf.lite.Interpreter(model_path=str(lite))
    entry = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(entry["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(entry["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    found["litert"] = float(np.abs(got - expected).max())
    print(json.dumps(found))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
