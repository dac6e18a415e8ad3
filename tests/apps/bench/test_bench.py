import json
import subprocess
import sys

import keras
import pytest

from foodvision.apps.bench import report
from foodvision.apps.bench.cases import BenchCase, benchmark_cases, forward_flops, training_flops
from foodvision.apps.bench.runner import run_benchmark, run_case


def test_flops_match_a_hand_count():
    model = keras.Sequential(
        [
            keras.Input((10, 12, 3)),
            keras.layers.Conv2D(4, 3, padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(8, 3),  # valid: 5x6 -> 3x4
            keras.layers.Flatten(),
            keras.layers.Dense(5),
        ]
    )
    conv1 = 2 * 10 * 12 * 3 * 3 * 3 * 4
    conv2 = 2 * 3 * 4 * 3 * 3 * 4 * 8
    dense = 2 * (3 * 4 * 8) * 5
    assert forward_flops(model) == (conv1 + conv2 + dense, conv1 + conv2 + dense)
    model.layers[0].trainable = False  # the first conv is frozen: it never runs backwards
    assert forward_flops(model) == (conv1 + conv2 + dense, conv2 + dense)
    assert training_flops(model) == conv1 + 3 * (conv2 + dense)


def test_flops_count_nested_models_once():
    inner = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 1)])
    inner.trainable = False
    outer = keras.Sequential([keras.Input((8, 8, 3)), inner, keras.layers.Dense(3)])
    conv = 2 * 8 * 8 * 3 * 2
    dense = 2 * 8 * 8 * 2 * 3  # Dense on a 4-D tensor acts per position
    assert forward_flops(outer) == (conv + dense, dense)


def test_cases_cover_the_study_models():
    quick = benchmark_cases(quick=True)
    full = benchmark_cases()
    assert {c.model for c in full} == {
        "baseline_cnn",
        "deeper_cnn",
        "augmented_cnn",
        "vgg16_finetune",
    }
    assert {c.image_size for c in full if c.model == "deeper_cnn"} == {64, 128}
    assert [c.trainable_blocks for c in full if c.model == "vgg16_finetune"] == [0, 5]
    assert len(quick) < len(full)


def test_run_case_in_a_subprocess_measures_a_tiny_model():
    row = run_case("jax", BenchCase("baseline_cnn", 32, 4), 2, "float32", timeout=300)
    assert "error" not in row, row
    assert row["backend"] == "jax" and row["name"] == "baseline_cnn@32"
    assert len(row["train"]["seconds"]) == 2
    assert row["train"]["images_per_second"] == pytest.approx(4 / row["train"]["median_s"])
    assert row["train_gflops_per_image"] > row["forward_gflops_per_image"] > 0
    assert row["peak_rss_mb"] > 50


def test_gpu_code_paths_run_on_cpu_bf16_and_data_parallel():
    import os

    bf16 = run_case("jax", BenchCase("deeper_cnn", 32, 4), 1, "mixed_bfloat16", timeout=300)
    assert "error" not in bf16, bf16
    assert bf16["precision"] == "mixed_bfloat16"
    from foodvision.apps.bench.runner import data_parallel_devices
    from foodvision.base.backends import jax_accelerator

    parallel = run_case("jax-dp", BenchCase("baseline_cnn", 32, 6), 1, "float32", timeout=300)
    assert "error" not in parallel, parallel
    assert parallel["backend"] == "jax-dp"
    if jax_accelerator() is None:  # CPU: one host device per core that divides the batch
        assert parallel["devices"] == data_parallel_devices(6) > 1 or os.cpu_count() == 1


def test_data_parallel_devices_divide_the_batch():
    from foodvision.apps.bench.runner import data_parallel_devices

    assert [data_parallel_devices(32, cores) for cores in (1, 2, 3, 6, 12, 24, 64)] == [
        1,
        2,
        2,
        4,
        8,
        16,
        32,
    ]
    assert data_parallel_devices(6, cores=4) == 3 and data_parallel_devices(7, cores=4) == 1


def test_a_failing_case_becomes_an_error_row():
    row = run_case("jax", BenchCase("no_such_model", 32, 4), 1, "float32", timeout=300)
    assert "unknown model" in row["error"] and row["error"].startswith("exit status 1")


def test_run_benchmark_rejects_unknown_backends_and_skips_missing(monkeypatch):
    with pytest.raises(ValueError, match="jax-dp"):
        run_benchmark(["theano"], cases=[])
    import foodvision.apps.bench.runner as runner

    monkeypatch.setattr(runner, "installed", lambda name: name == "jax")
    payload = run_benchmark(["jax", "torch"], cases=[], verbose=False)
    assert payload["skipped"] == ["torch"] and payload["rows"] == []
    assert {"machine", "versions", "settings", "auto_backend"} <= set(payload)


def _row(name, backend, speed):
    seconds = [4 / speed] * 3
    return {
        "name": name,
        "backend": backend,
        "train": {
            "images_per_second": speed,
            "median_s": seconds[0],
            "min_s": seconds[0],
            "max_s": seconds[0],
        },
        "inference": {"images_per_second": 3 * speed},
        "first_step_s": 1.0,
        "peak_rss_mb": 100.0,
    }


def test_report_ratios_and_files(tmp_path):
    payload = {
        "rows": [
            _row("a@64", "jax", 50.0),
            _row("a@64", "tensorflow", 200.0),
            {"name": "a@64", "backend": "torch", "error": "boom | bang"},
        ]
    }
    assert report.fastest_by_case(payload["rows"]) == {"a@64": 200.0}
    table = report.markdown(payload)
    assert "| a@64 | jax | 50.0 |" in table and "| 0.25x |" in table
    assert "| 1.00x |" in table and "error: boom \\| bang" in table
    assert {line.count("|") - line.count("\\|") for line in table.splitlines()} == {10}
    paths = report.save(payload, tmp_path, "demo")
    assert [p.name for p in paths] == ["demo.json", "demo.md", "demo.png"]
    assert json.loads(paths[0].read_text()) == payload
    assert paths[2].stat().st_size > 1000


def test_bench_command_bad_arguments():
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "foodvision", "bench", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    result = run("--backends", "theano")
    assert result.returncode == 2 and "jax-dp" in result.stderr
    result = run("--models", "resnet")
    assert result.returncode == 2 and "vgg16_finetune" in result.stderr
