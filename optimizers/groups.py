"""Per-layer optimizer maps: their spellings, and the groups they resolve to.

A map sends the variables whose Keras path (`conv2d/kernel`, `dense_1/bias`)
matches a pattern to an optimizer of their own; every other variable stays
with the run's optimizer (the default group). Patterns are Python regular
expressions matched against the whole path (`re.fullmatch`), as Keras's
`OptimizerMap` matches them; a pattern equal to a path matches it first.

Two spellings, one meaning::

    conv.*=sgd(learning_rate=0.1,momentum=0.9),dense.*=adam      (command line)
    {"conv.*": {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9},
     "dense.*": "adam"}                                            (YAML, JSON)

On the command line the entries are split at commas outside brackets (so
`conv2d_{1,2}/.*` keeps its comma) and each entry at its last `=` outside
brackets. A group's hyperparameters not given take that optimizer's own
defaults (not the default group's). `normalise` turns either spelling into
{pattern: {"name": ..., **given}}; `resolve` (which imports Keras) fills in
the defaults and checks every value by building the optimizer.

Pure Python until `resolve`: the command line parses maps before TensorFlow.
"""

from __future__ import annotations

import re

from .records import REGISTERED

_OPEN, _CLOSE = "([{", ")]}"


def _top_level(text: str, separator: str) -> list[int]:
    """Indices of `separator` in `text` outside (), [] and {}."""
    depth, found = 0, []
    for index, character in enumerate(text):
        if character in _OPEN:
            depth += 1
        elif character in _CLOSE:
            depth = max(depth - 1, 0)
        elif character == separator and depth == 0:
            found.append(index)
    return found


def _split(text: str, separator: str) -> list[str]:
    bounds = [-1, *_top_level(text, separator), len(text)]
    return [text[start + 1:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def _scalar(text: str):
    """A hyperparameter value: true/false, none/null, an int, a float, else the string."""
    lowered = text.strip().lower()
    words = {"true": True, "false": False, "none": None, "null": None}
    if lowered in words:
        return words[lowered]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def _group_from_text(entry: str, pattern: str) -> dict:
    """`sgd(learning_rate=0.1,momentum=0.9)` -> {"name": "sgd", "learning_rate": 0.1, ...}."""
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*", entry, re.DOTALL)
    if not match:
        raise ValueError(f"group {pattern!r}: expected NAME or NAME(KEY=VALUE,...), "
                         f"got {entry!r}")
    group = {"name": match.group(1)}
    for setting in _split(match.group(2) or "", ","):
        if not setting.strip():
            continue
        key, separator, value = setting.partition("=")
        if not separator or not key.strip() or key.strip() == "name":
            raise ValueError(f"group {pattern!r}: expected KEY=VALUE with KEY a "
                             f"hyperparameter, got {setting.strip()!r}")
        group[key.strip()] = _scalar(value)
    return group


def parse(text: str) -> dict:
    """The command-line spelling -> {pattern: {"name": ..., **given}} (see the module)."""
    groups = {}
    for entry in _split(text, ","):
        if not entry.strip():
            raise ValueError(f"expected PATTERN=OPTIMIZER entries separated by commas, "
                             f"got {text!r}")
        cuts = _top_level(entry, "=")
        if not cuts:
            raise ValueError(f"entry {entry.strip()!r} has no '=' outside brackets "
                             "(PATTERN=OPTIMIZER)")
        pattern = entry[:cuts[-1]].strip()
        groups[_pattern(pattern, groups)] = _group_from_text(entry[cuts[-1] + 1:], pattern)
    return groups


def _pattern(pattern, groups: dict) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"a pattern must be a non-empty string, got {pattern!r}")
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"pattern {pattern!r} is not a regular expression: {error}") from None
    if pattern in groups:
        raise ValueError(f"pattern {pattern!r} is given twice")
    return pattern


def _group(pattern: str, value) -> dict:
    """One group's YAML value (a name, or a mapping with `name`) as {"name": ..., **given}."""
    group = {"name": value} if isinstance(value, str) else value
    if not isinstance(group, dict) or not isinstance(group.get("name"), str):
        raise ValueError(f"group {pattern!r} must be an optimizer name or a mapping with a "
                         f"name, got {value!r}")
    if group["name"] not in REGISTERED:
        raise ValueError(f"group {pattern!r}: unknown optimizer {group['name']!r}; choose "
                         f"from: {', '.join(REGISTERED)}")
    scalars = (bool, int, float, str, type(None))
    for key, item in group.items():
        if not isinstance(key, str) or not isinstance(item, scalars):
            raise ValueError(f"group {pattern!r}: {key!r} must be a number, boolean, string "
                             f"or null, got {item!r}")
    return {"name": group["name"], **{key: item for key, item in group.items()
                                      if key != "name"}}


def normalise(value) -> dict:
    """Either spelling (a command-line string, or a mapping of patterns to names or
    mappings) -> {pattern: {"name": ..., **given}}, in the order given.

    Raises ValueError (one line) for a bad pattern, name, value or syntax, or an empty map.
    """
    if isinstance(value, str):
        value = parse(value)
    if not isinstance(value, dict) or not value:
        raise ValueError(f"an optimizer map must map patterns to optimizers, got {value!r}")
    groups: dict = {}
    for pattern, group in value.items():
        groups[_pattern(pattern, groups)] = _group(pattern, group)
    return groups


def resolve(groups: dict) -> dict:
    """Normalised groups with every hyperparameter of their optimizer, defaults filled in.

    Builds each group's optimizer once to check its values (imports Keras). Raises
    ValueError naming the group for an unknown hyperparameter or a bad value.
    """
    from . import get, hyperparameters

    resolved = {}
    for pattern, group in normalise(groups).items():
        name = group["name"]
        given = {key: value for key, value in group.items() if key != "name"}
        try:
            get(name, **given)
        except ValueError as error:
            raise ValueError(f"optimizer map group {pattern!r}: {error}") from None
        defaults = hyperparameters(name)
        given = {key: float(value) if _is_int(value) and isinstance(defaults.get(key), float)
                 else value for key, value in given.items()}  # 0 -> 0.0, as the class keeps it
        resolved[pattern] = {"name": name, **defaults, **given}
    return resolved


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
