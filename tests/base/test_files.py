import os

import numpy as np
import pytest

from foodvision.base.files import (
    atomic_path,
    remove_temporaries,
    write_atomic,
    write_npz_atomic,
    write_text_atomic,
)


def test_writes_round_trip_and_replace(tmp_path):
    path = tmp_path / "deep" / "state.json"
    write_text_atomic(path, "one")
    write_text_atomic(path, "two")
    assert path.read_text() == "two"
    arrays = {"w0": np.arange(6.0).reshape(2, 3), "epochs": np.array([1, 2])}
    write_npz_atomic(tmp_path / "a.npz", arrays)
    with np.load(tmp_path / "a.npz") as loaded:
        assert set(loaded.files) == set(arrays)
        assert np.array_equal(loaded["w0"], arrays["w0"])
    assert os.listdir(path.parent) == ["state.json"]  # no temporary file left


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = tmp_path / "best.keras"
    path.write_text("old")

    def fail(temporary):
        with open(temporary, "w") as handle:
            handle.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(path, fail, suffix=".keras")
    assert path.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["best.keras"]


def test_remove_temporaries_removes_only_what_a_killed_writer_left(tmp_path):
    with atomic_path(tmp_path / "latest.json") as temporary:
        name = os.path.basename(temporary)  # the name a writer killed here leaves
    (tmp_path / "latest.json").unlink()
    leftover = tmp_path / name
    leftover.write_text("partial")
    kept = [tmp_path / "history.csv", tmp_path / "notes.tmp", tmp_path / ".history.csv.bak"]
    for path in kept:
        path.write_text("x")
    assert remove_temporaries(tmp_path) == [leftover]
    assert all(path.exists() for path in kept) and not leftover.exists()
