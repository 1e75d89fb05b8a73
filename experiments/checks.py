"""The small predicates the configuration fields are checked with (pure Python).

Each returns None for an allowed value, or the rule it breaks ("must be a
positive integer"); `experiments.config` adds where the value came from and the
value itself, so that every message is one line naming the flag or file and key.
"""

from __future__ import annotations

import math


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def positive_int(value) -> str | None:
    return None if is_int(value) and value > 0 else "must be a positive integer"


def optional(check):
    return lambda value: None if value is None else check(value)


def name(value) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def folder_name(value) -> str | None:
    """One folder's name: no path separator, not "." or ".." (it must stay inside its parent)."""
    if name(value) is not None:
        return name(value)
    if "/" in value or "\\" in value or value.strip() in (".", ".."):
        return "must be one folder name, without '/' or '\\' and not '.' or '..'"
    return None


def names(value) -> str | None:
    if isinstance(value, (list, tuple)) and value and all(name(item) is None for item in value):
        return None
    return "must be a name or a non-empty list of names"


def seeds(value) -> str | None:
    if isinstance(value, (list, tuple)) and value and all(
        is_int(item) and item >= 0 for item in value
    ):
        return None
    return "must be a non-negative integer or a non-empty list of them"


def non_negative_int(value) -> str | None:
    return None if is_int(value) and value >= 0 else "must be a non-negative integer"


def positive_number(value) -> str | None:
    return None if is_number(value) and value > 0 else "must be a number > 0"


def fraction(value) -> str | None:
    return None if is_number(value) and 0 < value < 1 else "must be a number in (0, 1)"


def non_negative_number(value) -> str | None:
    return None if is_number(value) and value >= 0 else "must be a number >= 0"


def rate(value) -> str | None:
    return None if is_number(value) and 0 <= value < 1 else "must be a number in [0, 1)"


def accuracy(value) -> str | None:
    return None if is_number(value) and 0 < value <= 1 else "must be a number in (0, 1]"


def batch_size(value) -> str | None:
    if value == "full" or (is_int(value) and value > 0):
        return None
    return "must be a positive integer or 'full'"


def hyperparameters(value) -> str | None:
    """Names to scalars; a non-empty list of scalars (YAML only) makes a grid axis."""
    if not isinstance(value, dict):
        return "must be a mapping of hyperparameter names to values"
    scalars = (bool, int, float, str, type(None))
    for key, item in value.items():
        items = item if isinstance(item, (list, tuple)) and item else [item]
        if not isinstance(key, str) or not all(isinstance(one, scalars) for one in items):
            return (f"entry {key!r} must map a name to a number, boolean, string or null, "
                    "or a list of them")
    return None


def json_value(value) -> bool:
    """Whether `value` is what JSON can hold: a scalar, or a list or mapping of such values."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return not isinstance(value, float) or math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and json_value(item) for key, item in value.items())
    return False


def axes(value) -> str | None:
    """Hyperparameter names to non-empty lists of values (the sectioned grid's own)."""
    if not isinstance(value, dict):
        return "must be a mapping of hyperparameter names to lists of values"
    for key, items in value.items():
        if not isinstance(items, (list, tuple)) or not items or not json_value(list(items)):
            return f"entry {key!r} must be a non-empty list of values"
    return None


def one_of(choices: tuple):
    """A check that `value` is one of `choices`."""
    return lambda value: None if value in choices else f"must be one of {', '.join(choices)}"


def boolean(value) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"
