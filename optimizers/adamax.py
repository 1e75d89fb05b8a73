"""Adamax: Adam with the infinity norm in place of the second moment."""

import keras
from keras import ops

from .base import AdamFamily


@keras.saving.register_keras_serializable(package="optimizers")
class Adamax(AdamFamily):
    """Adamax (Kingma and Ba, 2015, Section 7.1, Algorithm 2).

    Update rule at step `t = iterations + 1`, in the names of `update_step`
    (`momentum` and `norm` per variable, starting at zero)::

        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        norm = max(beta_2 * norm, abs(gradient))
        variable = variable - learning_rate * momentum
                              / ((1 - beta_1 ** t) * (norm + epsilon))

    `norm` is the exponentially weighted infinity norm `u` of the paper. The
    paper has no epsilon; here it is added to `norm` *after* the maximum, as
    Keras does. Equal, bit for bit, to `keras.optimizers.Adamax(...)` on
    dense gradients.

    Differences from PyTorch's `torch.optim.Adamax` and optax's `adamax`:
    both add epsilon inside the maximum, `norm = max(beta_2 * norm,
    abs(gradient) + eps)` (eps 1e-8), so epsilon is carried, decayed, in the
    state; here it is a constant offset of the denominator. PyTorch's
    `weight_decay` is L2 (added to the gradient); Keras's, here too, is
    decoupled (`variable -= variable * weight_decay * learning_rate` before
    the step). PyTorch's default learning rate is 0.002 (here 0.001).

    With `epsilon=0` a coordinate whose gradient has always been zero stays
    put (0 / 0 is 0 here, NaN in Keras).

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed before the absolute
    value is taken.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        beta_1: float in [0, 1), decay of `momentum`. Defaults to 0.9.
        beta_2: float in [0, 1), decay of `norm`. Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-7.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._norms = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.convert_to_tensor(self.beta_1, dtype=dtype), step)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index]
        norm = self._norms[index]

        self._update_moment(momentum, gradient, 1 - self.beta_1)
        self.assign(norm, ops.maximum(ops.multiply(self.beta_2, norm), ops.abs(gradient)))
        denominator = ops.multiply(ops.subtract(1, beta_1_power), ops.add(norm, self.epsilon))
        step = self._divide(ops.multiply(learning_rate, momentum), denominator, self.epsilon == 0)
        self.assign_sub(variable, step)
