"""Argument checks the later optimizers need beyond those in `_checks`.

Each check returns the value to store (numbers become Python floats, counts
stay ints) or raises `ValueError` naming the argument, what it must be and
the value it received, in the words of `_checks`.
"""

import math
import numbers


def _fail(name, value, requirement):
    raise ValueError(f"Argument `{name}` must be {requirement}. Received: {name}={value!r}")


def _is_real(value):
    # bool is an int subclass, but flags are no numbers here.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def finite(name, value):
    """Any finite float (the Newton-Schulz coefficients)."""
    if not (_is_real(value) and math.isfinite(value)):
        _fail(name, value, "a finite float")
    return float(value)


def positive(name, value):
    """A finite float > 0."""
    if not (_is_real(value) and 0.0 < value < math.inf):
        _fail(name, value, "a finite float > 0")
    return float(value)


def non_positive(name, value):
    """A finite float <= 0 (FTRL's learning-rate power, Adafactor's decay exponent)."""
    if not (_is_real(value) and -math.inf < value <= 0.0):
        _fail(name, value, "a finite float <= 0")
    return float(value)


def open_closed_unit(name, value):
    """A float in (0, 1]: a weight that may be one but never zero."""
    if not (_is_real(value) and 0.0 < value <= 1.0):
        _fail(name, value, "a float in (0, 1]")
    return float(value)


def count(name, value):
    """An int >= 0 (numbers of steps)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        _fail(name, value, "an int >= 0")
    return int(value)


def optional(check, name, value):
    """None, or what `check(name, value)` accepts."""
    return None if value is None else check(name, value)
