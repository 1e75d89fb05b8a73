"""RMSProp: steps scaled by a running root-mean-square of the gradients."""

import keras
from keras import ops

from . import _checks
from .base import Optimizer

# Keras's centered difference is used while it is above velocity * 2 ** -10, where at
# most 10 of float32's 24 bits cancel; below, the variance recursion takes over.
CANCELLATION_LIMIT = 2.0**-10


@keras.saving.register_keras_serializable(package="optimizers")
class RMSProp(Optimizer):
    """RMSProp (Hinton, 2012), optionally centered and with momentum.

    Update rule, in the names of `update_step`, which are Keras's slot names
    (state per variable starts at zero: `velocity` is the running average of
    squared gradients, `average_gradient` and `gradient_variance` exist only
    when `centered`, the momentum buffer `m` (slot "momentum") only when
    `momentum > 0`)::

        velocity = rho * velocity + (1 - rho) * gradient ** 2
        gradient_variance = rho * (gradient_variance                      # centered
                                   + (1 - rho) * (gradient - average_gradient) ** 2)
        average_gradient = rho * average_gradient + (1 - rho) * gradient  # centered
        denominator = velocity + epsilon                                  # not centered
        denominator = velocity - average_gradient ** 2 + epsilon          # centered
        increment = learning_rate * gradient / sqrt(denominator)
        m = momentum * m + increment                                      # momentum > 0
        variable = variable - m             # momentum > 0, else: variable - increment

    Epsilon sits inside the square root. Equal, bit for bit, to
    `keras.optimizers.RMSprop(...)` on dense gradients, except where Keras's
    result is NaN or wrong, as follows.

    Departures from Keras, centered: `velocity - average_gradient ** 2` is
    the running variance of the gradient, a small difference of two large
    numbers when the gradient barely changes. In float32 its rounding error
    is about 1e-7 * velocity; under a nearly constant gradient the true
    variance falls below that, the difference turns negative by rounding and
    Keras's weights become NaN (four weights fed 3000 * (1 + 1e-6 * noise)
    at learning rate 1e-3: NaN after about 180 steps; also near 1, 100 and
    1e4). The same variance obeys the recursion on `gradient_variance` above
    (West, 1979; it follows from the two averages' updates), whose terms are
    squares and never cancel. Where the difference keeps fewer than 14 of
    float32's 24 bits (it is at most `velocity * 2 ** -10`, or NaN), the
    denominator uses `gradient_variance` instead, and the weights follow the
    float64 run; elsewhere it is Keras's difference, bit for bit. The slot
    costs one variable per weight, only when `centered`. Zero over zero
    (`epsilon=0` and a gradient that has always been 0) steps by 0, where
    Keras gives NaN (see `optimizers.base.Optimizer._divide`).

    Differences from PyTorch's `torch.optim.RMSprop`: PyTorch calls `rho`
    `alpha` (default 0.99, here 0.9), adds epsilon (1e-8) outside the root,
    `sqrt(denominator) + eps`, and keeps the momentum buffer without the
    learning rate (`buf = momentum * buf + gradient / (sqrt(...) + eps)`,
    `variable -= lr * buf`), which differs once the rate changes. Its
    `weight_decay` is L2 where Keras decouples it.

    Sparse gradients are made dense before anything else (clipping
    included), so repeated rows of an `Embedding` gradient are summed first
    (Keras's built-in clips and squares each repeated slice separately).

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
        self._gradient_variances = []
        if self.centered:  # after Keras's slots, so that theirs keep their places
            self._gradient_variances = self.add_optimizer_variables(variables, "gradient_variance")

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]

        self._running_average(velocity, ops.square(gradient), self.rho)
        if self.centered:
            denominator = self._centered_denominator(index, gradient)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = self._divide(
            ops.multiply(learning_rate, gradient), ops.sqrt(denominator), self.epsilon == 0
        )
        if self.momentum > 0:
            m = self._momentums[index]
            self.assign(m, ops.add(ops.multiply(self.momentum, m), increment))
            increment = m
        self.assign_sub(variable, increment)

    def _centered_denominator(self, index, gradient):
        """`velocity - average_gradient ** 2 + epsilon`, or the recursion's variance + epsilon.

        Advances `average_gradient` and `gradient_variance`; `velocity` must
        already hold this step's value. Keras's expression is formed whole, as
        Keras forms it, so that TensorFlow's graph rewrites (which fold
        `a - b + c`) give the same bits; the choice is made after it.
        """
        velocity = self._velocities[index]
        average_gradient = self._average_gradients[index]
        variance = self._gradient_variances[index]
        deviation = ops.square(ops.subtract(gradient, average_gradient))
        self.assign(
            variance,
            ops.multiply(self.rho, ops.add(variance, ops.multiply(1 - self.rho, deviation))),
        )
        self._running_average(average_gradient, gradient, self.rho)
        keras_denominator = velocity - ops.square(average_gradient) + self.epsilon
        # spread > velocity * limit, with epsilon on both sides; False for NaN.
        threshold = ops.add(ops.multiply(velocity, CANCELLATION_LIMIT), self.epsilon)
        reliable = ops.greater(keras_denominator, threshold)
        return ops.where(reliable, keras_denominator, ops.add(variance, self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update(
            rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered
        )
        return config
