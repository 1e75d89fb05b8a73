"""The registry: names, `get`, `hyperparameters`, and agreement with Keras's defaults."""

import ast
import inspect
from pathlib import Path

import keras
import pytest

import optimizers
import optimizers.base

NINE = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam")
WITH_BUILTIN = [record.name for record in optimizers.RECORDS if record.keras_builtin]


def _defaults(function):
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not parameter.empty
    }


def test_names_and_mission():
    assert optimizers.REGISTERED[: len(NINE)] == NINE
    assert tuple(optimizers.OPTIMIZERS) == optimizers.REGISTERED
    assert optimizers.MISSION == ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam")
    assert set(optimizers.MISSION) <= set(optimizers.OPTIMIZERS)


@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_each_class_is_a_toolkit_optimizer(name):
    assert issubclass(optimizers.OPTIMIZERS[name], optimizers.base.Optimizer)
    assert issubclass(optimizers.base.Optimizer, keras.optimizers.Optimizer)


def test_classes_extend_where_the_algorithm_extends():
    assert optimizers.AdamW.__bases__ == (optimizers.Adam,)
    assert optimizers.Nesterov.__bases__ == (optimizers.Momentum,)


@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_default_name_is_the_registry_name(name):
    assert optimizers.get(name).name == name
    assert optimizers.get(name, name="mine").name == "mine"


def _state_names(optimizer, variables):
    optimizer.build(variables)
    return [variable.name for variable in optimizer.variables]


# Every optimizer with a built-in at defaults, and with the options that add slots.
SLOT_CASES = [
    (name, settings)
    for name in WITH_BUILTIN
    for settings in ({}, {"amsgrad": True}, {"centered": True, "momentum": 0.5})
    if set(settings) <= set(optimizers.hyperparameters(name))
]


@pytest.mark.parametrize(("name", "settings"), SLOT_CASES)
def test_slot_names_are_the_keras_builtins(name, settings):
    variables = [keras.Variable([1.0, 2.0], name="kernel"), keras.Variable([3.0], name="bias")]
    ours = _state_names(optimizers.get(name, **settings), variables)
    theirs = _state_names(optimizers.builtin(name, **settings), variables)
    if name == "nadam":  # Keras's product of the momentum schedule is an unnamed Variable
        assert ours.pop() == "u_product" and theirs.pop().startswith("variable")
    if name == "adafactor":
        # Keras names its row/column statistics after the variable, keeps a full velocity
        # beside them and two scalar placeholders for a vector; ours keeps what it uses.
        assert ours[2:] == ["kernel_velocity", "bias_velocity"]
        placeholders = ["kernel", "kernel", "kernel_velocity", "bias", "bias", "bias_velocity"]
        assert theirs[2:] == placeholders
        return
    if settings.get("centered"):  # our extra slot for the variance, after Keras's slots
        extra = ours[len(theirs) :]
        assert extra == ["kernel_gradient_variance", "bias_gradient_variance"]
        ours = ours[: len(theirs)]
    assert ours == theirs
    # The slots follow `iteration` and `learning_rate` (plain SGD has none).
    assert len(ours) > 2 or name == "sgd"


def test_nesterov_is_momentum_with_nesterov_on():
    optimizer = optimizers.OPTIMIZERS["nesterov"]()
    assert isinstance(optimizer, optimizers.Momentum)
    assert optimizer.nesterov is True
    assert optimizers.get("momentum").nesterov is False


@pytest.mark.parametrize("name", WITH_BUILTIN)
def test_hyperparameters_match_the_keras_builtin(name):
    record = optimizers.records.record(name)
    builtin = getattr(keras.optimizers, record.keras_builtin)
    expected = {**_defaults(builtin.__init__), **record.keras_arguments}
    own = optimizers.hyperparameters(name)
    assert "learning_rate" in own
    assert {key: expected[key] for key in own} == own
    assert not set(own) & set(optimizers.BASE_ARGUMENTS)


@pytest.mark.parametrize("name", WITH_BUILTIN)
def test_default_config_matches_the_keras_builtin(name):
    ours = optimizers.get(name).get_config()
    theirs = optimizers.builtin(name).get_config()
    ours.pop("name"), theirs.pop("name")
    # Our plain SGD has no `momentum`/`nesterov`, and Momentum has no switch-off.
    assert ours == {key: value for key, value in theirs.items() if key in ours}
    assert set(theirs) - set(ours) <= {"momentum", "nesterov"}


def test_base_arguments_are_the_keras_base_arguments():
    adam_only = {"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay"}
    keras_base = set(_defaults(keras.optimizers.Adam.__init__)) - adam_only
    assert set(optimizers.BASE_ARGUMENTS) == keras_base


def test_hyperparameters_by_example():
    assert optimizers.hyperparameters("sgd") == {"learning_rate": 0.01, "weight_decay": None}
    assert optimizers.hyperparameters("adamw")["weight_decay"] == 0.004
    assert list(optimizers.hyperparameters("adam")) == [
        "learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay",
    ]  # fmt: skip


def test_get_sets_hyperparameters_and_base_arguments():
    optimizer = optimizers.get("rmsprop", rho=0.8, centered=True, clipnorm=1.0, name="mine")
    assert isinstance(optimizer, optimizers.RMSProp)
    assert (optimizer.rho, optimizer.centered, optimizer.clipnorm) == (0.8, True, 1.0)
    assert optimizer.name == "mine"
    assert optimizers.get("adam") is not optimizers.get("adam")


@pytest.mark.parametrize("name", ["foo", "Adam", "", None])
def test_get_unknown_name(name):
    with pytest.raises(ValueError, match=f"unknown optimizer {name!r}; choose from: sgd, momentum"):
        optimizers.get(name)
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.hyperparameters(name)


def test_get_unknown_hyperparameter_names_the_valid_ones():
    pattern = (
        r"unknown hyperparameter\(s\) 'momentum' for optimizer 'sgd'; "
        r"choose from: learning_rate, weight_decay \(or the Keras base arguments: clipnorm"
    )
    with pytest.raises(ValueError, match=pattern):
        optimizers.get("sgd", momentum=0.9)
    with pytest.raises(ValueError, match="'beta1', 'lr' for optimizer 'adam'"):
        optimizers.get("adam", lr=0.1, beta1=0.9)


def test_package_imports_only_keras_and_the_standard_library():
    allowed = {"keras", "inspect", "math", "numbers", "functools", "importlib", "dataclasses"}
    allowed |= {"__future__", "sys", "re"}  # re: Muon's exclude_layers patterns, as in Keras
    for path in Path(optimizers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {roots - allowed}"
