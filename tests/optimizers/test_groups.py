"""Optimizer maps as written (optimizers/groups.py): the command-line and YAML spellings,
their errors, resolution with each group's own defaults; learning_rate=0 accepted."""

import re

import keras
import pytest

import optimizers
from optimizers import groups


@pytest.mark.parametrize("text, expected", [
    ("conv.*=sgd,dense.*=adam", {"conv.*": {"name": "sgd"}, "dense.*": {"name": "adam"}}),
    (" conv.* = momentum(learning_rate=0.1, momentum=0.95, nesterov=true) ",
     {"conv.*": {"name": "momentum", "learning_rate": 0.1, "momentum": 0.95,
                 "nesterov": True}}),
    # Commas and '=' inside brackets belong to the pattern: {1,2}, (?=...), [a,b].
    ("conv2d_{1,2}/kernel=adamw(weight_decay=none),(?=dense).*=sgd",
     {"conv2d_{1,2}/kernel": {"name": "adamw", "weight_decay": None},
      "(?=dense).*": {"name": "sgd"}}),
    ("dense/kernel=sgd(learning_rate=0)", {"dense/kernel": {"name": "sgd", "learning_rate": 0}}),
])
def test_command_line_spelling(text, expected):
    assert groups.parse(text) == expected
    assert groups.normalise(text) == expected


def test_yaml_spelling_means_the_same():
    written = {"conv.*": {"name": "momentum", "learning_rate": 0.1}, "dense.*": "adam"}
    assert groups.normalise(written) == groups.normalise(
        "conv.*=momentum(learning_rate=0.1),dense.*=adam")
    assert list(groups.normalise({"b": "sgd", "a": "adam"})) == ["b", "a"]  # order kept


@pytest.mark.parametrize("value, message", [
    ("conv.*", "entry 'conv.*' has no '=' outside brackets"),
    ("conv.*=", "group 'conv.*': expected NAME or NAME(KEY=VALUE,...), got ''"),
    ("=sgd", "a pattern must be a non-empty string, got ''"),
    ("conv.*=sgd(", "expected NAME or NAME(KEY=VALUE,...), got 'sgd('"),
    ("conv.*=sgd(learning_rate)", "expected KEY=VALUE with KEY a hyperparameter, got "
                                  "'learning_rate'"),
    ("conv.*=sgd(name=adam)", "expected KEY=VALUE with KEY a hyperparameter, got 'name=adam'"),
    ("conv.*=sgd,", "expected PATTERN=OPTIMIZER entries separated by commas"),
    ("conv.*=lbfgs", "group 'conv.*': unknown optimizer 'lbfgs'; choose from: sgd, "),
    ("a=sgd,a=adam", "pattern 'a' is given twice"),
    ("conv(=sgd", "has no '=' outside brackets"),
    ({"conv[": "sgd"}, "pattern 'conv[' is not a regular expression"),
    ({"conv.*": {"learning_rate": 0.1}}, "group 'conv.*' must be an optimizer name or a "
                                         "mapping with a name"),
    ({"conv.*": {"name": "sgd", "learning_rate": [0.1]}}, "'learning_rate' must be a number"),
    ({}, "an optimizer map must map patterns to optimizers, got {}"),
    (["conv.*=sgd"], "an optimizer map must map patterns to optimizers"),
])
def test_bad_maps_are_refused_in_one_line(value, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        groups.normalise(value)
    assert "\n" not in str(error.value)


def test_resolve_fills_each_group_with_its_own_defaults():
    resolved = groups.resolve("conv.*=momentum(learning_rate=0),dense.*=adamw")
    assert resolved == {
        "conv.*": {"name": "momentum", "learning_rate": 0.0, "momentum": 0.9,
                   "nesterov": False, "weight_decay": None},
        "dense.*": {"name": "adamw", "learning_rate": 0.001, "weight_decay": 0.004,
                    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
    }
    assert isinstance(resolved["conv.*"]["learning_rate"], float)
    assert groups.resolve(resolved) == resolved  # a recorded map resolves to itself


@pytest.mark.parametrize("text, message", [
    ("conv.*=sgd(momentum=0.9)", "optimizer map group 'conv.*': unknown hyperparameter(s) "
                                 "'momentum' for optimizer 'sgd'"),
    ("conv.*=adam(beta_1=1.5)", "optimizer map group 'conv.*': Argument `beta_1` must be"),
    ("conv.*=sgd(learning_rate=-0.1)", "Received: learning_rate=-0.1"),
])
def test_resolve_refuses_bad_hyperparameters_naming_the_group(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        groups.resolve(text)


# FTRL divides by its learning rate: it refuses 0 (tests/optimizers/test_multi.py).
@pytest.mark.parametrize("name", [name for name in optimizers.REGISTERED if name != "ftrl"])
def test_every_optimizer_accepts_learning_rate_zero_and_refuses_negative(name):
    rate = optimizers.get(name, learning_rate=0).learning_rate
    assert float(keras.ops.convert_to_numpy(rate)) == 0.0
    with pytest.raises(ValueError, match=re.escape("must be a finite float >= 0")):
        optimizers.get(name, learning_rate=-1e-9)
