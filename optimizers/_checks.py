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
    """A positive finite float, a `LearningRateSchedule` or a zero-argument callable."""
    if isinstance(value, schedules.LearningRateSchedule) or callable(value):
        return value
    requirement = "a positive finite float, a LearningRateSchedule or a callable"
    number = _real("learning_rate", value, requirement)
    if not 0.0 < number < math.inf:
        _fail("learning_rate", value, requirement)
    return number


def decay_rate(name, value):
    """A float in [0, 1): momentum, betas and the running-average rates `rho`."""
    number = _real(name, value, "a float in [0, 1)")
    if not 0.0 <= number < 1.0:
        _fail(name, value, "a float in [0, 1)")
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
