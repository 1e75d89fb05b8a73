"""The optimizers of the toolkit, one module per algorithm, and their registry.

    >>> import optimizers
    >>> optimizer = optimizers.get("adam", learning_rate=3e-4)
    >>> optimizers.hyperparameters("sgd")
    {'learning_rate': 0.01, 'weight_decay': None}

Every class is a `keras.optimizers.Optimizer` registered for `.keras`
saving; hyperparameter names and defaults are those of the Keras built-in
with the same algorithm. This package imports nothing else of the toolkit.
"""

import inspect

import keras

from .adadelta import AdaDelta
from .adagrad import AdaGrad
from .adam import Adam
from .adamw import AdamW
from .momentum import Momentum, Nesterov
from .nadam import Nadam
from .rmsprop import RMSProp
from .sgd import SGD

__all__ = [
    "MISSION",
    "OPTIMIZERS",
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Momentum",
    "Nadam",
    "Nesterov",
    "RMSProp",
    "SGD",
    "get",
    "hyperparameters",
]

OPTIMIZERS: dict[str, type[keras.optimizers.Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "adadelta": AdaDelta,
    "rmsprop": RMSProp,
    "adam": Adam,
    "adamw": AdamW,
    "nadam": Nadam,
}

# The seven optimizers run by `train_model.py --optimizer all`.
MISSION = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam")

# Keyword arguments every optimizer passes on to `keras.optimizers.Optimizer`;
# `get` accepts them, `hyperparameters` leaves them out.
BASE_ARGUMENTS = (
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)


def _optimizer_class(name):
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]


def hyperparameters(name: str) -> dict[str, object]:
    """The optimizer's own hyperparameter names and defaults, in signature order.

    These are what a command line or YAML file may set; the base arguments
    (`BASE_ARGUMENTS`) are left out. `weight_decay` is included: every
    optimizer takes it (default None, AdamW 0.004).
    """
    parameters = inspect.signature(_optimizer_class(name).__init__).parameters.values()
    return {
        parameter.name: parameter.default
        for parameter in parameters
        if parameter.name != "self" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    }


def get(name: str, /, **values: object) -> keras.optimizers.Optimizer:
    """A new optimizer `name` with the hyperparameter `values` given, the rest at defaults.

    Raises `ValueError` for an unknown name or hyperparameter, naming the
    valid ones, and for invalid values, naming the value received.
    """
    own = hyperparameters(name)
    unknown = sorted(set(values) - set(own) - set(BASE_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for optimizer "
            f"{name!r}; choose from: {', '.join(own)} "
            f"(or the Keras base arguments: {', '.join(BASE_ARGUMENTS)})"
        )
    return OPTIMIZERS[name](**values)
