import pytest

from foodvision.base import backends as backend_policy
from foodvision.base.backends import choose_backend


def test_explicit_backend_wins_and_env_is_read(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert choose_backend("tensorflow") == backend_policy.BackendChoice("tensorflow", "asked for")
    assert choose_backend(None) == backend_policy.BackendChoice("jax", "KERAS_BACKEND")
    monkeypatch.setenv("KERAS_BACKEND", "auto")
    assert choose_backend(None).reason.startswith("auto")


@pytest.mark.parametrize(
    ("accelerator", "have", "expected"),
    [
        ("gpu", {"jax", "tensorflow", "torch"}, "jax"),
        ("tpu", {"jax", "tensorflow"}, "jax"),
        (None, {"jax", "tensorflow", "torch"}, "tensorflow"),
        (None, {"jax", "torch"}, "jax"),
        (None, {"torch"}, "torch"),
    ],
)
def test_auto_rule(monkeypatch, accelerator, have, expected):
    monkeypatch.setattr(backend_policy, "jax_accelerator", lambda: accelerator)
    monkeypatch.setattr(backend_policy, "installed", lambda name: name in have)
    choice = choose_backend("auto")
    assert choice.name == expected
    assert choice.describe().startswith(f"backend {expected} (auto")


def test_inference_only_keras_backends_pass_when_asked_for():
    assert choose_backend("numpy").name == "numpy"


def test_no_accelerator_plugin_means_no_jax_probe(monkeypatch):
    import subprocess

    monkeypatch.setattr(backend_policy, "accelerator_plugin_installed", lambda: False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("probed jax"))
    assert backend_policy.jax_accelerator() is None


def test_the_probe_reads_jax_platform_in_a_subprocess(monkeypatch):
    import subprocess

    monkeypatch.setattr(backend_policy, "accelerator_plugin_installed", lambda: True)
    seen = {}

    def fake_run(command, **kwargs):
        seen.update(kwargs["env"])
        return subprocess.CompletedProcess(command, 0, stdout="gpu\n", stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert backend_policy.jax_accelerator() == "gpu"
    assert seen["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"  # the probe reserves nothing


def test_bad_requests_name_the_choices(monkeypatch):
    with pytest.raises(ValueError, match="auto, jax, tensorflow, torch"):
        choose_backend("theano")
    monkeypatch.setattr(backend_policy, "installed", lambda name: False)
    with pytest.raises(ValueError, match="not installed"):
        choose_backend("torch")
    with pytest.raises(ValueError, match="no Keras backend"):
        choose_backend("auto")
