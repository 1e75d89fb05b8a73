"""RMSProp: steps scaled by a running root-mean-square of the gradients."""

import keras
from keras import ops

from . import _checks, _sparse
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class RMSProp(Optimizer):
    """RMSProp (Hinton, 2012), optionally centered and with momentum.

    Update rule, in the names of `update_step`, which are Keras's slot names
    (state per variable starts at zero: `velocity` is the running average of
    squared gradients, `average_gradient` exists only when `centered`, the
    momentum buffer `m` (slot "momentum") only when `momentum > 0`)::

        velocity = rho * velocity + (1 - rho) * gradient ** 2
        average_gradient = rho * average_gradient + (1 - rho) * gradient  # centered
        denominator = velocity + epsilon                                  # not centered
        denominator = velocity - average_gradient ** 2 + epsilon          # centered
        increment = learning_rate * gradient / sqrt(denominator)
        m = momentum * m + increment                                      # momentum > 0
        variable = variable - m             # momentum > 0, else: variable - increment

    Epsilon sits inside the square root. Equal, bit for bit, to
    `keras.optimizers.RMSprop(...)` on dense gradients.

    Differences from PyTorch's `torch.optim.RMSprop`: PyTorch calls `rho`
    `alpha` (default 0.99, here 0.9), adds epsilon (1e-8) outside the root,
    `sqrt(denominator) + eps`, and keeps the momentum buffer without the
    learning rate (`buf = momentum * buf + gradient / (sqrt(...) + eps)`,
    `variable -= lr * buf`), which differs once the rate changes. Its
    `weight_decay` is L2 where Keras decouples it.

    Sparse gradients are made dense before squaring, so repeated rows of an
    `Embedding` gradient are summed first (Keras's built-in squares each
    repeated slice separately).

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        rho: float in [0, 1), decay rate of the averages. Defaults to 0.9.
        momentum: float in [0, 1). Defaults to 0.0 (no velocity).
        epsilon: float >= 0. Defaults to 1e-7.
        centered: bool, subtract the squared mean gradient. Defaults to False.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.rho = _checks.decay_rate("rho", rho)
        self.momentum = _checks.decay_rate("momentum", momentum)
        self.epsilon = _checks.non_negative("epsilon", epsilon)
        self.centered = _checks.flag("centered", centered)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = _sparse.dense(ops.cast(gradient, variable.dtype), variable)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]

        self._running_average(velocity, ops.square(gradient), self.rho)
        if self.centered:
            average_gradient = self._average_gradients[index]
            self._running_average(average_gradient, gradient, self.rho)
            spread = ops.subtract(velocity, ops.square(average_gradient))
            denominator = ops.add(spread, self.epsilon)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide(ops.multiply(learning_rate, gradient), ops.sqrt(denominator))
        if self.momentum > 0:
            m = self._momentums[index]
            self.assign(m, ops.add(ops.multiply(self.momentum, m), increment))
            increment = m
        self.assign_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update(
            rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered
        )
        return config
