"""LAMB: Adam's direction scaled per variable by a trust ratio."""

import keras
from keras import ops

from .base import AdamFamily


def trust_ratio(variable, update):
    """`norm(variable) / norm(update)` (Frobenius norms), or 1 where either norm is 0."""
    variable_norm = ops.sqrt(ops.sum(ops.power(variable, 2)))
    update_norm = ops.sqrt(ops.sum(ops.power(update, 2)))
    ratio = ops.where(ops.greater(update_norm, 0), ops.divide(variable_norm, update_norm), 1.0)
    return ops.where(ops.greater(variable_norm, 0), ratio, 1.0)


@keras.saving.register_keras_serializable(package="optimizers")
class Lamb(AdamFamily):
    """LAMB (You et al., 2020, Algorithm 2): layer-wise adaptive Adam.

    Update rule at step `t = iterations + 1`, in the names of `update_step`
    (`momentum` and `velocity` per variable, starting at zero; `norm` is the
    Frobenius norm of the whole variable)::

        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        velocity = beta_2 * velocity + (1 - beta_2) * gradient ** 2
        update = (momentum / (1 - beta_1 ** t))
                 / (sqrt(velocity / (1 - beta_2 ** t)) + epsilon)
        ratio = norm(variable) / norm(update)   # 1 if either norm is 0
        variable = variable - ratio * learning_rate * update

    Epsilon is added outside the root of the *bias-corrected* velocity
    (unlike Keras's `Adam`). Equal, bit for bit, to `keras.optimizers.Lamb`
    on dense gradients.

    Differences from the paper and optax's `lamb`: there, weight decay is
    part of `update` (`update += weight_decay * variable`) and so is scaled by
    the trust ratio; Keras (and this class) instead decays the variable
    before the step, `variable -= variable * weight_decay * learning_rate`,
    outside the ratio. The paper allows a scaling function `phi(norm)`
    (clipping the variable's norm); here `phi` is the identity, as in optax.
    optax's default epsilon is 1e-6 (here 1e-7). PyTorch has no LAMB.

    With `epsilon=0` a coordinate whose gradient has always been zero has
    `update` 0 (0 / 0 is 0 here, NaN in Keras).

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed before squaring.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        beta_1: float in [0, 1), decay of `momentum`. Defaults to 0.9.
        beta_2: float in [0, 1), decay of `velocity`. Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-7.
        weight_decay: None or float >= 0, decoupled, outside the trust ratio.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.convert_to_tensor(self.beta_1, dtype=dtype), step)
        beta_2_power = ops.power(ops.convert_to_tensor(self.beta_2, dtype=dtype), step)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index]
        velocity = self._velocities[index]

        self._update_moment(momentum, gradient, 1 - self.beta_1)
        self._update_moment(velocity, ops.square(gradient), 1 - self.beta_2, squares=True)
        momentum_hat = ops.divide(momentum, ops.subtract(1.0, beta_1_power))
        velocity_hat = ops.divide(velocity, ops.subtract(1.0, beta_2_power))
        denominator = ops.add(ops.sqrt(velocity_hat), self.epsilon)
        update = self._divide(momentum_hat, denominator, self.epsilon == 0)
        scale = ops.multiply(trust_ratio(variable, update), learning_rate)
        self.assign_sub(variable, ops.multiply(scale, update))
