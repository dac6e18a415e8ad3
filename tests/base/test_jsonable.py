import json
import math
from pathlib import Path

import numpy as np

from foodvision.base.jsonable import json_safe


def test_json_safe_round_trips_through_json():
    value = {
        1: np.float32(0.25),
        "ints": np.arange(3),
        "nested": ({"flag": np.bool_(True)}, [np.int16(4), None]),
        "path": Path("runs") / "x",
        "set": {2},
    }
    safe = json_safe(value)
    assert json.loads(json.dumps(safe, allow_nan=False)) == safe
    assert safe == {
        "1": 0.25,
        "ints": [0, 1, 2],
        "nested": [{"flag": True}, [4, None]],
        "path": str(Path("runs") / "x"),
        "set": [2],
    }
    assert type(safe["ints"][0]) is int and type(safe["1"]) is float


def test_non_finite_numbers_become_null_and_others_their_text():
    assert json_safe([math.nan, -math.inf, np.float64(np.inf), 1.5]) == [None, None, None, 1.5]
    assert json_safe(object).startswith("<class")
    assert json_safe(True) is True and json_safe(3) == 3 and json_safe("a") == "a"


def test_json_safe_matches_the_json_module_on_plain_values():
    plain = {"a": [1, 2.5, "x", None, True], "b": {"c": (3, 4)}}
    assert json_safe(plain) == json.loads(json.dumps(plain))
