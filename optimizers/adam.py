"""Adam (and AMSGrad): steps from bias-corrected first and second moments.

`AdamW` (optimizers/adamw.py) extends this class, as Keras's AdamW extends
its Adam: the update rule is this one, the decay is the base class's.
"""

import keras
from keras import ops

from . import _checks
from .base import AdamFamily


@keras.saving.register_keras_serializable(package="optimizers")
class Adam(AdamFamily):
    """Adam (Kingma and Ba, 2015), optionally AMSGrad (Reddi et al., 2018).

    Update rule at step `t = iterations + 1`, in the names of `update_step`,
    which are Keras's slot names (`momentum` and `velocity` per variable,
    and `velocity_hat` with `amsgrad`, all starting at zero)::

        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        velocity = beta_2 * velocity + (1 - beta_2) * gradient ** 2
        velocity_hat = max(velocity_hat, velocity)             # amsgrad only
        variable = variable - alpha * momentum / (sqrt(velocity) + epsilon)
                      # amsgrad: velocity_hat in place of velocity

    Epsilon is added outside the root of the *uncorrected* velocity (the
    "epsilon hat" of the paper's Section 2). Equal, bit for bit, to
    `keras.optimizers.Adam(...)` on dense gradients, except where
    noted under "Departures from Keras" below.

    Differences from PyTorch's `torch.optim.Adam`: PyTorch divides by
    `sqrt(velocity / (1 - beta_2 ** t)) + eps` with `eps=1e-8`, which is this
    rule with `epsilon = eps * sqrt(1 - beta_2 ** t)`: the same only while
    epsilon is negligible. PyTorch's `weight_decay` is L2 (added to the
    gradient, then rescaled by the moments); Keras's, here too, is decoupled
    (`variable -= variable * weight_decay * learning_rate` before the step):
    that is AdamW, see `optimizers.adamw`.

    Departures from Keras, where Keras's result is wrong: sparse gradients
    (`Embedding`) are made dense before anything else, clipping included
    (`optimizers.base.Optimizer.apply`), so a row repeated in a batch is
    summed first; Keras's built-in clips and squares each repeated
    slice separately. Where a squared gradient overflows float32
    (|gradient| above about 1.8e19) `velocity` becomes inf and Keras's association
    `velocity + (gradient ** 2 - velocity) * (1 - beta_2)` turns it into NaN
    on the next step, and the weights with it; here it stays inf, so the
    weight stops moving but stays finite
    (`optimizers.base.Optimizer._update_moment`; float64 keeps stepping).
    With `epsilon=0`, a zero gradient with zero state divides 0 by 0: the
    weight stays put here, Keras makes it NaN (`_divide`).

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        beta_1: float in [0, 1), decay of `momentum`. Defaults to 0.9.
        beta_2: float in [0, 1), decay of `velocity`. Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-7.
        amsgrad: bool, use the running maximum of `velocity`. Defaults to False.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, **kwargs)
        self.amsgrad = _checks.flag("amsgrad", amsgrad)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")

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

        alpha = ops.divide(
            ops.multiply(learning_rate, ops.sqrt(ops.subtract(1, beta_2_power))),
            ops.subtract(1, beta_1_power),
        )
        self._update_moment(momentum, gradient, 1 - self.beta_1)
        self._update_moment(velocity, ops.square(gradient), 1 - self.beta_2, squares=True)
        if self.amsgrad:
            velocity_hat = self._velocity_hats[index]
            self.assign(velocity_hat, ops.maximum(velocity_hat, velocity))
            velocity = velocity_hat
        denominator = ops.add(ops.sqrt(velocity), self.epsilon)
        step = self._divide(ops.multiply(momentum, alpha), denominator, self.epsilon == 0)
        self.assign_sub(variable, step)

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}
