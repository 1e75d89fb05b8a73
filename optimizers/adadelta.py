"""AdaDelta: steps scaled by the ratio of two running root-mean-squares."""

import keras
from keras import ops

from . import _checks, _sparse


@keras.saving.register_keras_serializable(package="optimizers")
class AdaDelta(keras.optimizers.Optimizer):
    """AdaDelta (Zeiler, 2012).

    Update rule, in the names of `update_step` (two running averages per
    variable, both starting at zero)::

        average_squared_gradient = rho * average_squared_gradient + (1 - rho) * gradient ** 2
        delta = -sqrt(average_squared_delta + epsilon) * gradient
                / sqrt(average_squared_gradient + epsilon)
        average_squared_delta = rho * average_squared_delta + (1 - rho) * delta ** 2
        variable = variable + learning_rate * delta

    Epsilon sits inside both square roots; in the numerator it is what lets
    the first steps move at all. Equal, bit for bit, to
    `keras.optimizers.Adadelta()` on dense gradients.

    Differences from PyTorch's `torch.optim.Adadelta`: the same rule, but
    other defaults (PyTorch: `lr=1.0, rho=0.9, eps=1e-6`; Keras and here:
    `learning_rate=0.001, rho=0.95, epsilon=1e-7`, so the Keras default
    moves about a thousand times more slowly), and PyTorch's `weight_decay`
    is L2 where Keras decouples it.

    Sparse gradients are made dense before squaring, so repeated rows of an
    `Embedding` gradient are summed first (Keras's built-in squares each
    repeated slice separately).

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
        self._average_squared_gradients = []
        self._average_squared_deltas = []
        for variable in variables:
            self._average_squared_gradients.append(
                self.add_variable_from_reference(variable, name="average_squared_gradient")
            )
            self._average_squared_deltas.append(
                self.add_variable_from_reference(variable, name="average_squared_delta")
            )

    def _running_average(self, average, value):
        """`rho * average + (1 - rho) * value`, stored into `average`."""
        self.assign(
            average, ops.add(ops.multiply(self.rho, average), ops.multiply(1 - self.rho, value))
        )

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = _sparse.dense(ops.cast(gradient, variable.dtype), variable)
        index = self._get_variable_index(variable)
        average_squared_gradient = self._average_squared_gradients[index]
        average_squared_delta = self._average_squared_deltas[index]

        self._running_average(average_squared_gradient, ops.square(gradient))
        numerator = ops.multiply(ops.sqrt(ops.add(average_squared_delta, self.epsilon)), gradient)
        denominator = ops.sqrt(ops.add(average_squared_gradient, self.epsilon))
        delta = ops.negative(ops.divide(numerator, denominator))
        self._running_average(average_squared_delta, ops.square(delta))
        self.assign_add(variable, ops.multiply(learning_rate, delta))

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
