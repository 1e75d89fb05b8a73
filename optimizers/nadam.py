"""Nadam: Adam with Nesterov momentum, on Keras's momentum schedule."""

import keras
from keras import ops

from .base import AdamFamily

# Base of the momentum warm-up: mu_t = beta_1 * (1 - 0.5 * SCHEDULE_DECAY ** t).
SCHEDULE_DECAY = 0.96


def _constant(value, dtype):
    # Exact in float64, where `ops.cast` of a Python float rounds through float32.
    return ops.convert_to_tensor(value, dtype=dtype)


@keras.saving.register_keras_serializable(package="optimizers")
class Nadam(AdamFamily):
    """Nadam (Dozat, 2016): Nesterov-accelerated Adam.

    Update rule at step `t = iterations + 1`, in the names of `update_step`
    (`momentum`, `velocity` per variable start at zero, as Keras names them;
    `u_product`, one scalar, Keras's name for the product of the momentum
    schedule, starts at one and is advanced once per step, before any
    variable, in `_backend_update_step`)::

        mu_t = beta_1 * (1 - 0.5 * 0.96 ** t)              # the momentum schedule
        mu_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * mu_t                       # mu_1 * ... * mu_t
        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        velocity = beta_2 * velocity + (1 - beta_2) * gradient ** 2
        momentum_hat = mu_next * momentum / (1 - u_product * mu_next)
                       + (1 - mu_t) * gradient / (1 - u_product)
        velocity_hat = velocity / (1 - beta_2 ** t)
        variable = variable - learning_rate * momentum_hat / (sqrt(velocity_hat) + epsilon)

    Epsilon is added outside the root of the bias-corrected velocity (unlike
    `Adam`, where the velocity is uncorrected). Equal, bit for bit, to
    `keras.optimizers.Nadam(...)` on dense gradients, except where
    noted under "Departures from Keras" below.

    Differences from PyTorch's `torch.optim.NAdam`: PyTorch's schedule is
    `mu_t = beta_1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))` with
    `momentum_decay=0.004`, so its momentum warms up over thousands of steps;
    Keras's reaches `beta_1` within about a hundred. PyTorch's epsilon is 1e-8
    and its `weight_decay` is L2 unless `decoupled_weight_decay=True`; Keras's
    is always decoupled.

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
        beta_1: float in [0, 1). Defaults to 0.9.
        beta_2: float in [0, 1). Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-7.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )
        dtype = variables[0].dtype if variables else keras.config.floatx()
        self._u_product = self.add_variable(
            shape=(), initializer="ones", dtype=dtype, name="u_product"
        )

    def _momentum_schedule(self, step, dtype):
        """`beta_1 * (1 - 0.5 * 0.96 ** step)`, the momentum coefficient of `step`."""
        decay = ops.power(_constant(SCHEDULE_DECAY, dtype), step)
        return ops.multiply(
            _constant(self.beta_1, dtype), ops.subtract(1.0, ops.multiply(0.5, decay))
        )

    def _backend_update_step(self, gradients, variables, learning_rate):
        # Keras calls this hook once per real update (gradient accumulation
        # included), before the per-variable `update_step`s.
        dtype = self._u_product.dtype
        decay = ops.power(_constant(SCHEDULE_DECAY, dtype), ops.cast(self.iterations + 1, dtype))
        # (product * beta_1) * (1 - 0.5 * decay): Keras's association, kept for parity.
        product = ops.multiply(self._u_product, self.beta_1)
        self.assign(
            self._u_product,
            ops.multiply(product, ops.subtract(1.0, ops.multiply(0.5, decay))),
        )
        super()._backend_update_step(gradients, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        mu_t = self._momentum_schedule(ops.cast(self.iterations + 1, dtype), dtype)
        mu_next = self._momentum_schedule(ops.cast(self.iterations + 2, dtype), dtype)
        u_product = ops.cast(self._u_product, dtype)
        u_product_next = ops.multiply(u_product, mu_next)
        beta_1 = _constant(self.beta_1, dtype)
        beta_2 = _constant(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index]
        velocity = self._velocities[index]

        self._update_moment(momentum, gradient, ops.subtract(1.0, beta_1))
        self._update_moment(velocity, ops.square(gradient), ops.subtract(1.0, beta_2), squares=True)

        look_ahead = ops.divide(ops.multiply(mu_next, momentum), ops.subtract(1.0, u_product_next))
        current = ops.divide(
            ops.multiply(ops.subtract(1.0, mu_t), gradient), ops.subtract(1.0, u_product)
        )
        momentum_hat = ops.add(look_ahead, current)
        beta_2_power = ops.power(beta_2, ops.cast(self.iterations + 1, dtype))
        velocity_hat = ops.divide(velocity, ops.subtract(1.0, beta_2_power))
        denominator = ops.add(ops.sqrt(velocity_hat), self.epsilon)
        step = self._divide(
            ops.multiply(momentum_hat, learning_rate), denominator, self.epsilon == 0
        )
        self.assign_sub(variable, step)
