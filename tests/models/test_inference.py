import numpy as np
import pytest
from harness import tiny_model

from foodvision.models import predict_arrays, predict_batches


def test_batched_predictions_equal_one_call_over_everything():
    model = tiny_model(num_classes=3, size=8)
    images = np.random.default_rng(0).integers(0, 256, (11, 8, 8, 3)).astype("float32")
    whole = np.asarray(model.predict_on_batch(images))
    for batch_size in (1, 4, 11, 64):
        got = predict_arrays(model, images, batch_size=batch_size)
        assert got.dtype == np.float32 and got.shape == (11, 3)
        np.testing.assert_allclose(got, whole, rtol=1e-5, atol=1e-6)
    got = predict_batches(model, (images[i : i + 5] for i in range(0, 11, 5)))
    np.testing.assert_allclose(got, whole, rtol=1e-5, atol=1e-6)


def test_nothing_to_predict_is_a_clear_error():
    with pytest.raises(ValueError, match="no batches to predict"):
        predict_batches(tiny_model(), [])
