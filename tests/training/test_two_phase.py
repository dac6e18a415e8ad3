import dataclasses
import json
import logging

import keras
import numpy as np
import pytest
from harness import tiny_image_data

import foodvision as fv
from foodvision.augment.layers import ColorJitter

SIZE = 32


def vgg(seed=0):
    keras.utils.set_random_seed(seed)
    return fv.build_model(
        "vgg16_finetune", num_classes=3, input_shape=(SIZE, SIZE, 3), weights=None, dropout=0.0
    )


def weights_by_layer(model):
    return {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers}


def test_frozen_layers_unchanged_and_top_block_trains():
    data = tiny_image_data(per_class=8, size=SIZE, batch_size=8)
    model = vgg()
    before = weights_by_layer(model)
    result = fv.fine_tune(
        model,
        data,
        head_epochs=1,
        finetune_epochs=1,
        trainable_blocks=1,
        learning_rate=1e-2,
        finetune_learning_rate=1e-2,
        verbose=0,
    )
    assert result.cached_features and result.boundary == "block4_pool"
    after = weights_by_layer(model)
    for name, weights in before.items():
        changed = any(not np.array_equal(a, b) for a, b in zip(weights, after[name]))
        if name.startswith(("block1", "block2", "block3", "block4")):
            assert not changed, name  # bit-for-bit the same
        elif name in ("block5_conv1", "block5_conv2", "block5_conv3", "predictions"):
            assert changed, name
    assert len(result.head.epoch) == 1 and len(result.finetune.epoch) == 1


def test_cached_phase_one_equals_naive_phase_one():
    # one full-batch epoch: the same gradient whatever the order of the images
    data = tiny_image_data(per_class=8, size=SIZE, batch_size=24)
    naive, cached = vgg(), vgg()
    cached.set_weights(naive.get_weights())
    fv.fine_tune(
        naive,
        data,
        head_epochs=2,
        finetune_epochs=0,
        cache_features=False,
        learning_rate=1e-2,
        verbose=0,
    )
    result = fv.fine_tune(
        cached, data, head_epochs=2, finetune_epochs=0, learning_rate=1e-2, verbose=0
    )
    assert result.cached_features and result.boundary == "block5_pool"
    for a, b in zip(naive.get_weights(), cached.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_test_outputs_from_cached_features_equal_the_full_model():
    data = tiny_image_data(per_class=6, size=SIZE, batch_size=8)
    data = dataclasses.replace(
        data, test=data.val, counts={**data.counts, "test": data.counts["val"]}
    )
    model = vgg()
    result = fv.fine_tune(model, data, head_epochs=1, finetune_epochs=1, verbose=0)
    images = np.concatenate([x for x, _ in data.test.as_numpy_iterator()])
    np.testing.assert_allclose(result.test_outputs, model.predict(images, verbose=0), atol=1e-4)
    assert result.history["loss"] == result.head.history["loss"] + result.finetune.history["loss"]
    report = fv.evaluate(model, data.test, data.class_names, outputs=result.test_outputs)
    direct = fv.evaluate(model, data.test, data.class_names, interpret=False)
    assert report.accuracy == direct.accuracy
    with pytest.raises(ValueError, match="rows"):
        fv.evaluate(model, data.test, data.class_names, outputs=result.test_outputs[:-1])


def test_augmentation_turns_caching_off_and_checkpoints_per_phase(tmp_path):
    data = tiny_image_data(per_class=4, size=SIZE, batch_size=6)
    result = fv.fine_tune(
        vgg(),
        data,
        head_epochs=1,
        finetune_epochs=1,
        augmentation="light",
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    assert not result.cached_features
    assert (tmp_path / "head" / "history.csv").exists()
    assert (tmp_path / "finetune" / "history.csv").exists()


def test_augmenting_only_phase_two_caches_phase_one(tmp_path):
    data = tiny_image_data(per_class=6, size=SIZE, batch_size=6)
    data = dataclasses.replace(
        data, test=data.val, counts={**data.counts, "test": data.counts["val"]}
    )
    model = vgg()
    before = weights_by_layer(model)
    result = fv.fine_tune(
        model,
        data,
        head_epochs=1,
        finetune_epochs=2,
        augmentation="light",
        augment_head=False,
        finetune_learning_rate=1e-2,
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    # phase 1 trained on features cached below the head; phase 2 on augmented images
    assert result.cached_features and result.boundary == "block5_pool"
    assert result.test_outputs is None  # the last phase ran on images, not features
    assert len(result.finetune.epoch) == 2
    assert (tmp_path / "finetune" / "history.csv").exists()
    after = weights_by_layer(model)
    assert np.array_equal(before["block4_conv3"][0], after["block4_conv3"][0])
    assert not np.array_equal(before["block5_conv3"][0], after["block5_conv3"][0])


def test_phase_two_follows_its_cosine_schedule(tmp_path):
    data = tiny_image_data(per_class=6, size=SIZE, batch_size=4)
    peak, epochs = 1e-3, 3
    result = fv.fine_tune(
        vgg(),
        data,
        head_epochs=1,
        finetune_epochs=epochs,
        finetune_learning_rate=peak,
        finetune_schedule="cosine",
        checkpoint_dir=tmp_path,  # the checkpoint's history records the learning rate
        verbose=0,
    )
    steps_per_epoch = -(-data.num_images("train") // data.batch_size)
    total = steps_per_epoch * epochs
    expected = [
        peak * 0.5 * (1 + np.cos(np.pi * epoch * steps_per_epoch / total))
        for epoch in range(1, epochs + 1)
    ]  # the rate after each epoch's last step: 0.75, 0.25 and 0 of the peak
    got = result.finetune.history["learning_rate"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9)


def test_weight_decay_shrinks_each_weight_apart_from_the_gradient_step():
    # one full-batch step from the same weights: the same Adam step, and decoupled decay
    # takes learning_rate * weight_decay of each weight more (Loshchilov & Hutter)
    data = tiny_image_data(per_class=8, size=SIZE, batch_size=24)
    rate, decay = 1e-2, 0.5
    plain, decayed = vgg(), vgg()
    decayed.set_weights(plain.get_weights())
    start = plain.get_layer("predictions").get_weights()[0]
    for model, weight_decay in ((plain, 0.0), (decayed, decay)):
        fv.fine_tune(model, data, 1, 0, learning_rate=rate, weight_decay=weight_decay, verbose=0)
    difference = (
        plain.get_layer("predictions").get_weights()[0]
        - decayed.get_layer("predictions").get_weights()[0]
    )
    np.testing.assert_allclose(difference, rate * decay * start, rtol=1e-3, atol=1e-7)
    with pytest.raises(ValueError, match="weight_decay"):
        fv.fine_tune(vgg(), data, 1, 0, weight_decay=-1.0)


def test_phase_two_trains_lower_blocks_at_their_decayed_rates(tmp_path):
    # one full-batch Adam step of phase 2 from the same head: block 4's change is half
    # and block 3's a quarter of their change at the full rate; block 5's is the same
    data = tiny_image_data(per_class=8, size=SIZE, batch_size=24)
    start = vgg().get_weights()
    changes = []
    for decay in (1.0, 0.5):
        model = vgg()
        model.set_weights(start)
        before = weights_by_layer(model)
        fv.fine_tune(
            model,
            data,
            head_epochs=1,
            finetune_epochs=1,
            trainable_blocks=3,
            finetune_learning_rate=1e-3,
            finetune_rate_decay=decay,
            checkpoint_dir=tmp_path / str(decay),
            verbose=0,
        )
        after = weights_by_layer(model)
        changes.append({name: after[name][0] - before[name][0] for name in after if after[name]})
    full, decayed = changes
    for name, factor in (("block5_conv1", 1.0), ("block4_conv3", 0.5), ("block3_conv1", 0.25)):
        ratio = np.abs(decayed[name]).sum() / np.abs(full[name]).sum()
        np.testing.assert_allclose(ratio, factor, rtol=1e-3, err_msg=name)
        # each element to a thousandth of a full-rate Adam step (float32 rounding of
        # weight + step loses a few digits of the step)
        np.testing.assert_allclose(decayed[name], factor * full[name], atol=1e-3 * 1e-3)
    assert not np.abs(decayed["block2_conv2"]).any()
    tune = json.loads((tmp_path / "0.5" / "finetune" / "settings.json").read_text())
    assert tune["rate_factors"]["block4_conv1"] == 0.5 and "rate_factors" not in json.loads(
        (tmp_path / "1.0" / "finetune" / "settings.json").read_text()
    )
    saved = fv.load_model(tmp_path / "0.5" / "model.keras")  # its optimizer is registered
    assert fv.model_facts(saved).training["rate_factors"]["block3_conv1"] == 0.25


def test_bad_finetune_schedule_fails_before_training():
    with pytest.raises(ValueError, match="finetune_schedule 'cosin'.*constant, cosine"):
        fv.fine_tune(vgg(), tiny_image_data(size=SIZE), 1, 1, finetune_schedule="cosin")


def test_bad_trainable_blocks():
    with pytest.raises(ValueError, match="trainable_blocks"):
        fv.fine_tune(vgg(), tiny_image_data(size=SIZE), 1, 1, trainable_blocks=9, verbose=0)


def test_features_that_do_not_fit_in_memory_go_to_disk(tmp_path, monkeypatch):
    from foodvision.training import feature_cache

    data = tiny_image_data(per_class=4, size=SIZE, batch_size=5)
    model = vgg()
    prefix, _ = fv.split_at(model, "block3_pool")
    in_memory, labels = feature_cache.split_features(prefix, data.train, 12)
    monkeypatch.setattr(feature_cache, "memory_budget", lambda fraction: 0)
    on_disk, disk_labels = feature_cache.split_features(
        prefix, data.train, 12, directory=str(tmp_path), name="train"
    )
    assert isinstance(on_disk, np.memmap) and (tmp_path / "train.npy").exists()
    assert sorted(labels.tolist()) == sorted(disk_labels.tolist()) == [0] * 4 + [1] * 4 + [2] * 4
    assert in_memory.shape == on_disk.shape == (12, 4, 4, 256)
    # the training split is reshuffled per pass: compare per-class sums, not rows
    for label in range(3):
        np.testing.assert_allclose(
            in_memory[labels == label].sum(0),
            np.asarray(on_disk)[disk_labels == label].sum(0),
            rtol=1e-4,
            atol=1e-3,
        )
    with pytest.raises(ValueError, match="were counted"):
        feature_cache.split_features(prefix, data.train, 13)


def test_default_feature_memmap_leaves_no_temporary_files(tmp_path, monkeypatch):
    import tempfile

    from foodvision.training import feature_cache

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(feature_cache, "memory_budget", lambda fraction: 0)
    data = tiny_image_data(per_class=4, size=SIZE, batch_size=5)
    prefix, _ = fv.split_at(vgg(), "block3_pool")
    features, _ = feature_cache.split_features(prefix, data.train, 12)
    assert isinstance(features, np.memmap) and float(np.abs(features).sum()) > 0
    with pytest.raises(ValueError, match="were counted"):
        feature_cache.split_features(prefix, data.train, 13)
    assert list(tmp_path.iterdir()) == []  # the folder is gone, the data still readable


def test_prefix_pass_image_by_image_equals_whole_batches():
    from foodvision.training.feature_cache import prefix_batch_size, split_features

    data = tiny_image_data(per_class=4, size=SIZE, batch_size=5)
    prefix, _ = fv.split_at(vgg(), "block3_pool")
    whole, labels = split_features(prefix, data.val, 3)
    single, same_labels = split_features(prefix, data.val, 3, batch_size=1)
    np.testing.assert_allclose(single, whole, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(labels, same_labels)
    expected = 1 if keras.backend.backend() == "jax" else 32  # these tests run on CPU
    assert prefix_batch_size(32) == expected


@pytest.mark.parametrize("augmentation", [None, "light"])
def test_phase_two_weight_averaging(tmp_path, augmentation):
    data = tiny_image_data(per_class=6, size=SIZE, batch_size=8)
    options = dict(
        head_epochs=1,
        finetune_epochs=3,
        finetune_average_epochs=2,
        learning_rate=1e-2,
        finetune_learning_rate=1e-2,
        augmentation=augmentation,
        augment_head=False,
        early_stopping=1,  # phase 2 averages, so it must run all its epochs anyway
        checkpoint_dir=tmp_path,
        seed=0,
        verbose=0,
    )
    model = vgg()
    result = fv.fine_tune(model, data, **options)
    assert result.averaged_epochs == 2 and len(result.finetune.epoch) == 3
    # the model holds the mean of phase 2's weights after its epochs 2 and 3
    with np.load(tmp_path / "finetune" / "average.npz") as saved:
        assert list(saved["epochs"]) == [2, 3]
        net = model if augmentation else fv.split_at(model, result.boundary)[1]
        for i, weight in enumerate(net.get_weights()):
            np.testing.assert_allclose(weight, saved[f"w{i}"] / 2, rtol=1e-6)
    # the last epoch's own weights differ from the average
    with np.load(tmp_path / "finetune" / "backup" / "state-3.npz") as last:
        weights = net.get_weights()
        assert any(not np.allclose(last[f"v{i}"], w) for i, w in enumerate(weights))
    # running the finished call again gives the same averaged model
    again = vgg()
    fv.fine_tune(again, data, **options)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("average", [-1, 4, 1.0])
def test_bad_finetune_average_epochs(average):
    data = tiny_image_data(per_class=2, size=SIZE, batch_size=8)
    with pytest.raises(ValueError, match="finetune_average_epochs"):
        fv.fine_tune(vgg(), data, head_epochs=1, finetune_epochs=3, finetune_average_epochs=average)


def test_each_phase_records_its_settings_and_a_change_is_refused_before_any_work(tmp_path, caplog):
    data = tiny_image_data(per_class=4, size=SIZE, batch_size=6)
    options = dict(
        head_epochs=1,
        finetune_epochs=2,
        learning_rate=1e-2,
        finetune_learning_rate=1e-3,
        finetune_schedule="cosine",
        finetune_warmup_epochs=1,
        optimizer="sgd",
        weight_decay=1e-3,
        augmentation="light",
        augment_head=False,  # phase 1 on cached features
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    fv.fine_tune(vgg(), data, **options)
    head = json.loads((tmp_path / "head" / "settings.json").read_text())
    tune = json.loads((tmp_path / "finetune" / "settings.json").read_text())
    assert (head["learning_rate"], head["schedule"], head["optimizer"]) == (1e-2, "constant", "sgd")
    assert (tune["learning_rate"], tune["schedule"], tune["warmup_epochs"]) == (1e-3, "cosine", 1)
    assert tune["optimizer"] == "sgd" and head["weight_decay"] == tune["weight_decay"] == 1e-3
    # the same call again finds both phases done with its settings
    again = fv.fine_tune(vgg(), data, **options)
    assert again.epoch_seconds == {"head": [], "finetune": []}
    # so a resumed call with another rate is refused, not mixed into the run, and
    # before the pass through the frozen base
    caplog.set_level(logging.INFO, logger="foodvision")
    caplog.clear()
    with pytest.raises(ValueError, match=r"head.*learning_rate: 0.01 -> 0.005"):
        fv.fine_tune(vgg(), data, **{**options, "learning_rate": 5e-3})
    with pytest.raises(ValueError, match=r"finetune.*learning_rate: 0.001 -> 0.002"):
        fv.fine_tune(vgg(), data, **{**options, "finetune_learning_rate": 2e-3})
    assert "frozen features" not in caplog.text


def test_resuming_phase_two_on_images_skips_phase_one_and_its_features(tmp_path):
    # full batches and an augmentation layer that changes nothing: phase 2 runs on
    # images, yet the resumed run can be compared with an uninterrupted one exactly
    data = tiny_image_data(per_class=6, size=SIZE, batch_size=64)
    options = dict(
        head_epochs=1,
        learning_rate=1e-2,
        finetune_learning_rate=1e-2,
        augmentation=[ColorJitter()],  # no brightness, contrast or saturation change
        augment_head=False,  # phase 1 on cached features, phase 2 on "augmented" images
        seed=0,
        verbose=0,
    )
    straight = vgg()
    fv.fine_tune(straight, data, finetune_epochs=2, checkpoint_dir=tmp_path / "a", **options)

    first = fv.fine_tune(vgg(), data, finetune_epochs=1, checkpoint_dir=tmp_path / "b", **options)
    assert first.boundary == "block5_pool" and first.feature_seconds > 0
    resumed_model = vgg(seed=1)  # phase 2's checkpoint gives it every weight
    resumed = fv.fine_tune(
        resumed_model, data, finetune_epochs=2, checkpoint_dir=tmp_path / "b", **options
    )
    assert resumed.feature_seconds == 0.0  # no feature pass: phase 2 held every weight
    assert resumed.head.history["loss"] == first.head.history["loss"]
    assert len(resumed.finetune.epoch) == 2
    # the checkpoint gave it every weight (seed 1's are gone), and phase 2 went on from
    # where it stopped (up to float rounding, which Adam scales up where gradients are tiny)
    for a, b in zip(straight.get_weights(), resumed_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)


def test_restarting_a_changed_phase_one_restarts_phase_two_and_its_average(tmp_path):
    data = tiny_image_data(per_class=4, size=SIZE, batch_size=6)
    options = dict(
        head_epochs=1,
        finetune_epochs=2,
        finetune_average_epochs=1,
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    fv.fine_tune(vgg(), data, **options)
    same = fv.fine_tune(vgg(), data, **options)
    assert same.epoch_seconds == {"head": [], "finetune": []}  # both phases were done
    model = vgg()
    changed = fv.fine_tune(model, data, learning_rate=5e-3, on_change="restart", **options)
    # phase 2 had grown from the old head: it trains again too, and averages anew
    assert [len(changed.epoch_seconds[p]) for p in ("head", "finetune")] == [1, 2]
    with np.load(tmp_path / "finetune" / "average.npz") as saved:
        assert list(saved["epochs"]) == [2]
        tail = fv.split_at(model, changed.boundary)[1]
        for i, weight in enumerate(tail.get_weights()):
            np.testing.assert_allclose(weight, saved[f"w{i}"], rtol=1e-6)


def test_phase_two_of_an_old_head_goes_when_phase_one_starts_over_without_it(tmp_path):
    data = tiny_image_data(per_class=4, size=SIZE, batch_size=6)
    options = dict(head_epochs=1, checkpoint_dir=tmp_path, verbose=0)
    fv.fine_tune(vgg(), data, finetune_epochs=1, **options)
    # phase 1 starts over and ends; the call stops before phase 2 (as a killed one would)
    fv.fine_tune(vgg(), data, finetune_epochs=0, learning_rate=5e-3, on_change="restart", **options)
    again = fv.fine_tune(vgg(), data, finetune_epochs=1, learning_rate=5e-3, **options)
    assert [len(again.epoch_seconds[p]) for p in ("head", "finetune")] == [0, 1]
