"""The optimizers of the toolkit, one module per algorithm, and their registry.

    >>> import optimizers
    >>> optimizer = optimizers.get("adam", learning_rate=3e-4)
    >>> optimizers.hyperparameters("sgd")
    {'learning_rate': 0.01, 'weight_decay': None}

Every class is a `keras.optimizers.Optimizer` registered for `.keras`
saving; hyperparameter names and defaults are those of the Keras built-in
with the same algorithm. The facts about each optimizer other than its
update rule live in one `Record` each (optimizers/records.py); everything
here derives from them.

Importing this package imports neither Keras nor TensorFlow: the classes
(`optimizers.Adam`, `optimizers.OPTIMIZERS`) are imported on first use, so
that `import optimizers.records` stays light for plotting. This package
imports nothing else of the toolkit.
"""

import functools
import inspect

from .records import MISSION, RECORDS, REGISTERED, Record, load_class, record

__all__ = [
    "BASE_ARGUMENTS",
    "MISSION",
    "OPTIMIZERS",
    "RECORDS",
    "REGISTERED",
    "Record",
    "builtin",
    "get",
    "hyperparameters",
    *(entry.class_name for entry in RECORDS),
]

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


@functools.cache
def _registry():
    return {entry.name: load_class(entry) for entry in RECORDS}


def __getattr__(attribute):
    # Lazy: `OPTIMIZERS` (name -> class, registry order) and the classes by name.
    if attribute == "OPTIMIZERS":
        return dict(_registry())
    for entry in RECORDS:
        if entry.class_name == attribute:
            return load_class(entry)
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


def __dir__():
    return sorted({*globals(), *__all__})


def _optimizer_class(name):
    return _registry()[record(name).name]


def hyperparameters(name: str) -> dict[str, object]:
    """The optimizer's own hyperparameter names and defaults, in signature order.

    These are what a command line or YAML file may set; the base arguments
    (`BASE_ARGUMENTS`) are left out. `weight_decay` is included: every
    optimizer takes it (default None, AdamW 0.004). Raises `ValueError` for
    an unknown name, naming the valid ones.
    """
    parameters = inspect.signature(_optimizer_class(name).__init__).parameters.values()
    return {
        parameter.name: parameter.default
        for parameter in parameters
        if parameter.name != "self" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    }


def get(name: str, /, **values: object):
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
    return _optimizer_class(name)(**values)


def builtin(name: str, /, **values: object):
    """The Keras built-in equal to optimizer `name`, with the record's arguments and `values`.

    `builtin("momentum")` is `keras.optimizers.SGD(momentum=0.9)`. Raises
    `ValueError` for an unknown name or one whose record names no built-in.
    """
    entry = record(name)
    if entry.keras_builtin is None:
        raise ValueError(f"optimizer {name!r} has no Keras built-in")
    import keras

    return getattr(keras.optimizers, entry.keras_builtin)(**{**entry.keras_arguments, **values})
