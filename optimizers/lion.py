"""Lion: the sign of an interpolated momentum as the step."""

import keras
from keras import ops

from . import _checks, _ranges
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class Lion(Optimizer):
    """Lion, EvoLved Sign Momentum (Chen et al., 2023, Algorithm 2).

    Update rule, in the names of `update_step` (one `momentum` per variable,
    starting at zero)::

        variable = variable - learning_rate * sign(momentum * beta_1
                                                   + gradient * (1 - beta_1))
        momentum = momentum * beta_2 + gradient * (1 - beta_2)

    Every coordinate moves by exactly `learning_rate` (or not at all where
    the interpolation is zero), so rates are typically 3-10x smaller than
    Adam's. There is no epsilon and no bias correction. Equal, bit for bit,
    to `keras.optimizers.Lion(...)` on dense gradients.

    Differences: the paper, optax's `lion` and the authors' PyTorch code
    apply decoupled weight decay as `variable -= learning_rate * weight_decay
    * variable` in the same step; Keras (and this class) applies that same
    product in the base class before the step, so the two agree. The
    paper's default `beta_2` is 0.99 as here; optax's `b1`/`b2` are these
    `beta_1`/`beta_2`. As in Keras, `beta_1` must lie in (0, 1]: at 0 the
    rule is signSGD.

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed before the sign is
    taken.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        beta_1: float in (0, 1], weight of `momentum` in the step. Defaults to 0.9.
        beta_2: float in [0, 1), decay of `momentum`. Defaults to 0.99.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, **kwargs):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.beta_1 = _ranges.open_closed_unit("beta_1", beta_1)
        self.beta_2 = _checks.decay_rate("beta_2", beta_2)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        beta_1 = ops.convert_to_tensor(self.beta_1, dtype=dtype)
        beta_2 = ops.convert_to_tensor(self.beta_2, dtype=dtype)
        momentum = self._momentums[self._get_variable_index(variable)]

        interpolation = ops.add(
            ops.multiply(momentum, beta_1), ops.multiply(gradient, ops.subtract(1.0, beta_1))
        )
        self.assign_sub(variable, ops.multiply(learning_rate, ops.sign(interpolation)))
        self.assign(
            momentum,
            ops.add(
                ops.multiply(momentum, beta_2), ops.multiply(gradient, ops.subtract(1.0, beta_2))
            ),
        )

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2)
        return config
