"""Argument checks shared by the optimizer classes.

Each check returns the value to store (numbers become Python floats) or raises
`ValueError` naming the argument and repeating the value it received.
"""

import math
import numbers

from keras.optimizers import schedules


def _fail(name, value, requirement):
    raise ValueError(f"Argument `{name}` must be {requirement}. Received: {name}={value!r}")


def _real(name, value, requirement):
    # bool is an int subclass, but `amsgrad`-style flags are no numbers here.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, value, requirement)
    return float(value)


def learning_rate(value):
    """A finite float >= 0, a `LearningRateSchedule` or a zero-argument callable.

    0 is accepted, as Keras accepts it: every update is multiplied by the rate, so
    the variables do not move (a frozen group of a per-layer optimizer map).
    """
    if isinstance(value, schedules.LearningRateSchedule) or callable(value):
        return value
    requirement = "a finite float >= 0, a LearningRateSchedule or a callable"
    number = _real("learning_rate", value, requirement)
    if not 0.0 <= number < math.inf:
        _fail("learning_rate", value, requirement)
    return number


def positive_learning_rate(value):
    """`learning_rate`, without 0: for a rule that divides by the rate (FTRL)."""
    checked = learning_rate(value)
    if checked == 0.0:
        _fail("learning_rate", value, "a finite float > 0 (this update divides by it), "
              "a LearningRateSchedule or a callable")
    return checked


# The largest float below 1 that float32 keeps below 1; from 1 - 2 ** -25 up, a
# float32 cast rounds to 1.0, and `1 - beta ** t` (Adam's bias correction) becomes 0.
_BELOW_ONE_IN_FLOAT32 = 1.0 - 2.0**-24


def decay_rate(name, value):
    """A float in [0, 1) that stays below 1 in float32: momentum, betas, `rho`.

    Values in (1 - 2 ** -24, 1) are refused too: cast to float32, as Keras
    casts them, they become 1.0, which divides by zero in the bias
    corrections (Keras accepts them and returns NaN or inf).
    """
    requirement = "a float in [0, 1), at most 1 - 2 ** -24 (float32 rounds above it to 1)"
    number = _real(name, value, requirement)
    if not 0.0 <= number <= _BELOW_ONE_IN_FLOAT32:
        _fail(name, value, requirement)
    return number


def non_negative(name, value):
    """A finite float >= 0: epsilon, initial accumulator value, weight decay."""
    number = _real(name, value, "a finite float >= 0")
    if not 0.0 <= number < math.inf:
        _fail(name, value, "a finite float >= 0")
    return number


def weight_decay(value):
    """None (no decay) or a finite float >= 0."""
    return None if value is None else non_negative("weight_decay", value)


def flag(name, value):
    """A bool; truthy numbers or strings are refused so that typos surface."""
    if not isinstance(value, bool):
        _fail(name, value, "a bool")
    return value
