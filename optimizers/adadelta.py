"""AdaDelta: steps scaled by the ratio of two running root-mean-squares."""

import keras
from keras import ops

from . import _checks
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler, 2012).

    Update rule, in the names of `update_step` (two running averages per
    variable, both starting at zero, named as Keras's slots: `accumulated_grad`
    of squared gradients, `accumulated_delta_var` of squared steps)::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * gradient ** 2
        delta = -sqrt(accumulated_delta_var + epsilon) * gradient
                / sqrt(accumulated_grad + epsilon)
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2
        variable = variable + learning_rate * delta

    Epsilon sits inside both square roots; in the numerator it is what lets
    the first steps move at all. Equal, bit for bit, to
    `keras.optimizers.Adadelta()` on dense gradients, except where
    noted under "Departures from Keras" below.

    Differences from PyTorch's `torch.optim.Adadelta`: the same rule, but
    other defaults (PyTorch: `lr=1.0, rho=0.9, eps=1e-6`; Keras and here:
    `learning_rate=0.001, rho=0.95, epsilon=1e-7`, so the Keras default
    moves about a thousand times more slowly), and PyTorch's `weight_decay`
    is L2 where Keras decouples it.

    Departures from Keras, where Keras's result is wrong: sparse gradients
    (`Embedding`) are made dense before anything else, clipping included
    (`optimizers.base.Optimizer.apply`), so a row repeated in a batch is
    summed first; Keras's built-in clips and squares each repeated
    slice separately. With `epsilon=0`, a zero gradient with zero
    state divides 0 by 0: the weight stays put here, Keras makes it NaN
    (`optimizers.base.Optimizer._divide`). (With `epsilon=0` AdaDelta never
    moves: its numerator starts at sqrt(0).)

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        rho: float in [0, 1), decay rate of both averages. Defaults to 0.95.
        epsilon: float >= 0. Defaults to 1e-7.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, **kwargs):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.rho = _checks.decay_rate("rho", rho)
        self.epsilon = _checks.non_negative("epsilon", epsilon)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        accumulated_grad = self._accumulated_grads[index]
        accumulated_delta_var = self._accumulated_delta_vars[index]

        self._running_average(accumulated_grad, ops.square(gradient), self.rho)
        numerator = ops.multiply(ops.sqrt(ops.add(accumulated_delta_var, self.epsilon)), gradient)
        denominator = ops.sqrt(ops.add(accumulated_grad, self.epsilon))
        delta = ops.negative(self._divide(numerator, denominator, self.epsilon == 0))
        self._running_average(accumulated_delta_var, ops.square(delta), self.rho)
        self.assign_add(variable, ops.multiply(learning_rate, delta))

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
