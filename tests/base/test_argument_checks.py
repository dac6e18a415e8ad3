import numpy as np
import pytest

from foodvision.base.checks import (
    check_bool,
    check_choice,
    check_fraction,
    check_int,
    check_optional_int,
    check_positive,
    check_rate,
    unknown_name_message,
)


@pytest.mark.parametrize(
    ("value", "low", "high", "message"),
    [
        (0, 1, None, "epochs must be an integer >= 1, got 0"),
        (-1, 0, None, "epochs must be an integer >= 0, got -1"),
        (1, 2, None, "epochs must be an integer >= 2, got 1"),
        (9, 1, 8, "epochs must be an integer in 1..8, got 9"),
        (2.0, 1, None, "epochs must be an integer >= 1, got 2.0"),
        (True, 1, None, "epochs must be an integer >= 1, got True"),
        ("3", 1, None, "epochs must be an integer >= 1, got '3'"),
        (None, 1, None, "epochs must be an integer >= 1, got None"),
    ],
)
def test_check_int_refuses_with_one_wording(value, low, high, message):
    with pytest.raises(ValueError) as info:
        check_int("epochs", value, low, high)
    assert str(info.value) == message


def test_check_int_returns_plain_ints_numpy_included():
    assert check_int("n", np.int64(3), 1) == 3 and type(check_int("n", np.int64(3), 1)) is int
    assert check_int("n", 8, 1, 8) == 8 and check_int("n", 1, 1, 8) == 1
    assert check_optional_int("n", None, 1) is None and check_optional_int("n", 2, 1) == 2


@pytest.mark.parametrize("check", [check_fraction, check_rate])
def test_unit_interval_checks(check):
    assert check("x", 0) == 0.0 and check("x", 0.999) == 0.999
    for bad in (1, 1.5, -0.1, "0.5", True, None, float("nan")):
        with pytest.raises(ValueError, match=r"x must be a (fraction|number) in \[0, 1\)"):
            check("x", bad)


def test_positive_bool_and_choice():
    assert check_positive("lr", 1e-3) == 1e-3
    for bad in (0, -1, float("inf"), float("nan"), True, "1"):
        with pytest.raises(ValueError, match="lr must be a number > 0"):
            check_positive("lr", bad)
    assert check_bool("b", False) is False
    with pytest.raises(ValueError, match="b must be True or False, got 0"):
        check_bool("b", 0)
    assert check_choice("mode", "avg", ("avg", "max")) == "avg"
    with pytest.raises(ValueError, match="mode must be one of avg, max, got 'mean'"):
        check_choice("mode", "mean", ("avg", "max"))


def test_unknown_name_message_suggests_and_shortens():
    assert "did you mean 'pizza'?" in unknown_name_message("class", "piza", ["pizza", "sushi"])
    names = [f"class_{i:02d}" for i in range(30)]
    message = unknown_name_message("class", "zzz", names)
    assert message.startswith("unknown class 'zzz'; Available: class_00")
    assert message.endswith(", ...") and "class_19" in message and "class_20" not in message
