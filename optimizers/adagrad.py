"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""

import keras
from keras import ops

from . import _checks
from .base import Optimizer


def _filled(value):
    """An initializer filling with `value`; unlike `initializers.Constant`, whose
    cast rounds a Python float through float32, it is exact in float64."""

    def initializer(shape, dtype=None):
        return ops.multiply(ops.ones(shape, dtype=dtype), value)

    return initializer


@keras.saving.register_keras_serializable(package="optimizers")
class AdaGrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer, 2011).

    Update rule, in the names of `update_step` (one `accumulator` per
    variable, starting at `initial_accumulator_value`)::

        accumulator = accumulator + gradient ** 2
        variable = variable - learning_rate * gradient / sqrt(accumulator + epsilon)

    Epsilon sits inside the square root. Equal, bit for bit, to
    `keras.optimizers.Adagrad()` on dense gradients, except where
    noted under "Departures from Keras" below.

    Differences from PyTorch's `torch.optim.Adagrad`: PyTorch starts the
    accumulator at 0 (here 0.1, which caps the first steps at about
    `learning_rate * |gradient| / sqrt(0.1 + gradient ** 2)`), adds epsilon
    (1e-10) outside the root, `sqrt(accumulator) + eps`, offers an `lr_decay`,
    and treats `weight_decay` as L2 (added to the gradient, so it is rescaled
    by the accumulator) where Keras decouples it.

    Departures from Keras, where Keras's result is wrong: sparse gradients
    (`Embedding`) are made dense before anything else, clipping included
    (`optimizers.base.Optimizer.apply`), so a row repeated in a batch is
    summed first; Keras's built-in clips and squares each repeated
    slice separately, `a ** 2 + b ** 2` for `(a + b) ** 2`. With
    `initial_accumulator_value=0` and `epsilon=0`, a coordinate whose
    gradient has always been 0 divides 0 by 0: it stays put here, Keras makes
    it NaN (`optimizers.base.Optimizer._divide`).

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        initial_accumulator_value: float >= 0. Defaults to 0.1.
        epsilon: float >= 0. Defaults to 1e-7.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.initial_accumulator_value = _checks.non_negative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = _checks.non_negative("epsilon", epsilon)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        initializer = _filled(self.initial_accumulator_value)
        self._accumulators = self.add_optimizer_variables(variables, "accumulator", initializer)

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(accumulator, ops.square(gradient))
        denominator = ops.sqrt(ops.add(accumulator, self.epsilon))
        step = self._divide(
            ops.multiply(learning_rate, gradient),
            denominator,
            may_be_zero=self.epsilon == 0 and self.initial_accumulator_value == 0,
        )
        self.assign_sub(variable, step)

    def get_config(self):
        config = super().get_config()
        config.update(
            initial_accumulator_value=self.initial_accumulator_value, epsilon=self.epsilon
        )
        return config
