"""Schedule-Free AdamW: interpolate between an Adam-scaled SGD sequence and its average."""

import keras
from keras import ops

from . import _checks, _ranges
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024, Algorithm 1), as Keras states it.

    Three sequences per variable: `z` (the slot Keras names `momentum`; it
    starts at the variable's value), its running average `x`, and the
    variable itself, which holds `y = (1 - beta_1) * z + beta_1 * x`, the
    point where gradients are taken. `x` is not stored: it is recovered from
    `y` and `z`. Update rule at step `t = iterations + 1`, in the names of
    `update_step` (`velocity` starts at zero)::

        rate = learning_rate * min(t / warmup_steps, 1)   # rate = learning_rate if no warmup
        velocity = beta_2 * velocity + (1 - beta_2) * gradient ** 2
        denominator = sqrt(velocity / (1 - beta_2 ** t)) + epsilon
        x = (variable - (1 - beta_1) * momentum) / beta_1  # with momentum before this step
        momentum = momentum - rate * gradient / denominator
        x = (1 - 1 / t) * x + (1 / t) * momentum
        variable = (1 - beta_1) * momentum + beta_1 * x

    Evaluation weights: the variables always hold `y`; `x`, the point the
    paper evaluates (and the one that enjoys its guarantees), is
    `averaged_values(variables)`. Keras offers nothing more: `evaluate`,
    `predict` and `save` see `y`, and `finalize_variable_values` (end of
    `fit`) only handles `use_ema`. A loop that wants `x` assigns it before
    evaluating or exporting and restores a saved copy of `y` before
    training on; a `.keras` checkpoint of `y` with the optimizer state
    (`momentum`, `velocity`, `iterations`) resumes exactly.

    Equal, bit for bit, to `keras.optimizers.ScheduleFreeAdamW` on Keras's
    JAX backend, which computes the rule as Keras's code writes it. Keras's
    TensorFlow backend computes another rule, twice over: (1) it reads
    `momentum` for `x` *after* updating it (`momentum.value` is the live
    `tf.Variable`), so from step 2 on its `x` is pushed back by
    `(1 - beta_1) / beta_1` of each step and a gradient's immediate effect
    on `y` shrinks as `1 / t`; (2) it copies the variable into `momentum` by
    an `assign` in `build`, which `fit` calls while tracing its first step,
    so under `fit` z starts at zero and the first step (weight 1, `y = z`)
    throws the initial weights away. This class reads `momentum` before its
    update, and lets the variable stand in for the (zero) slot until the
    first update, which also works inside an XLA-compiled step.

    Differences from the paper and its PyTorch reference code
    (`schedulefree.AdamWScheduleFree`): there, step t's averaging weight is
    `lr_max ** 2 / sum of lr_max ** 2` over the steps so far (`lr_max` the
    largest rate yet, so warmup steps weigh less); Keras uses `1 / t`.
    There, weight decay enters the step of `z`
    (`z -= rate * weight_decay * y`); Keras decays `y` before the step
    (`variable -= variable * weight_decay * learning_rate`), so the
    recovered `x` shrinks and `z` does not. This class does that decay in
    `update_step`, just after reading `z`, so that the first step sees the
    undecayed variable as `z`, as Keras's copy in `build` is. The reference
    code's default `learning_rate` is 0.0025 and `epsilon` 1e-8, as here.

    With `epsilon=0` a coordinate whose gradient has always been zero keeps
    its `z` (0 / 0 is 0 here, NaN in Keras).

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed before squaring.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.0025.
        beta_1: float in (0, 1], weight of `x` in `y`. Defaults to 0.9.
        beta_2: float in [0, 1), decay of `velocity`. Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-8.
        warmup_steps: int >= 0, steps of linear warmup. Defaults to 0.
        weight_decay: None or float >= 0, decoupled, applied to `y`.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.beta_1 = _ranges.open_closed_unit("beta_1", beta_1)
        self.beta_2 = _checks.decay_rate("beta_2", beta_2)
        self.epsilon = _checks.non_negative("epsilon", epsilon)
        self.warmup_steps = _ranges.count("warmup_steps", warmup_steps)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # `momentum` (z) should start at the variable's value. Keras assigns it in
        # `build`, which `fit` calls while tracing its first step: the assignment is
        # lost there (and cannot be lifted out of an XLA step), so z starts at zero
        # and the first step wipes the weights. Here the slot starts at zero and
        # `_momentum_before` reads the variable in its place until `started` is set
        # by the first update (a flag, not `iterations`, which a caller may preset).
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )
        dtype = variables[0].dtype if variables else keras.config.floatx()
        self._started = self.add_variable(shape=(), dtype=dtype, name="started")

    def _momentum_before(self, variable):
        """z before this step: the stored slot, or the variable itself before the first step."""
        momentum = self._momentums[self._get_variable_index(variable)]
        started = ops.greater(self._started, 0)
        return ops.where(started, ops.convert_to_tensor(momentum), ops.convert_to_tensor(variable))

    def averaged_values(self, variables):
        """`x` of each variable (the evaluation weights), from `y` and `momentum`; no state changes.

        Shapes and dtypes are those of `variables`, which must be variables
        this optimizer was built with. `x = (y - (1 - beta_1) * momentum) / beta_1`.
        """
        values = []
        for variable in variables:
            beta_1 = ops.convert_to_tensor(self.beta_1, dtype=variable.dtype)
            momentum = self._momentum_before(variable)
            shifted = ops.subtract(variable, ops.multiply(ops.subtract(1.0, beta_1), momentum))
            values.append(ops.divide(shifted, beta_1))
        return values

    def _backend_update_step(self, gradients, variables, learning_rate):
        # Keras calls this once per real update, around the per-variable `update_step`s.
        super()._backend_update_step(gradients, variables, learning_rate)
        self.assign(self._started, ops.ones((), self._started.dtype))

    def _apply_weight_decay(self, variables):
        # Decay happens in `update_step`, after z is read: before the first step z is
        # the undecayed variable, as Keras's copy in `build` intends.
        return

    def _decay(self, variable, learning_rate):
        if self.weight_decay is None or not self._use_weight_decay(variable):
            return
        # variable - (variable * weight_decay) * learning_rate, the base class's arithmetic.
        weight_decay = ops.cast(self.weight_decay, variable.dtype)
        decay = ops.multiply(ops.multiply(variable, weight_decay), learning_rate)
        self.assign(variable, ops.subtract(variable, decay))

    def _rate(self, learning_rate, step):
        if self.warmup_steps == 0:
            return learning_rate
        warmup_steps = ops.cast(self.warmup_steps, learning_rate.dtype)
        return ops.multiply(learning_rate, ops.minimum(ops.divide(step, warmup_steps), 1.0))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        learning_rate = ops.cast(learning_rate, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1 = ops.convert_to_tensor(self.beta_1, dtype=dtype)
        beta_2 = ops.convert_to_tensor(self.beta_2, dtype=dtype)
        index = self._get_variable_index(variable)
        momentum, velocity = self._momentums[index], self._velocities[index]
        momentum_before = self._momentum_before(variable)  # read before any change
        self._decay(variable, learning_rate)

        self._update_moment(velocity, ops.square(gradient), ops.subtract(1.0, beta_2), squares=True)
        bias_correction = ops.subtract(1.0, ops.power(beta_2, step))
        denominator = ops.add(
            ops.sqrt(ops.divide(velocity, bias_correction)),
            ops.convert_to_tensor(self.epsilon, dtype=dtype),
        )
        numerator = ops.multiply(self._rate(learning_rate, step), gradient)
        scaled = self._divide(numerator, denominator, self.epsilon == 0)
        self.assign(momentum, ops.subtract(momentum_before, scaled))

        weight = ops.divide(1.0, step)
        interpolation = ops.subtract(1.0, beta_1)
        average = ops.subtract(variable, ops.multiply(interpolation, momentum_before))
        average = ops.divide(average, beta_1)
        average = ops.add(
            ops.multiply(ops.subtract(1.0, weight), average), ops.multiply(weight, momentum)
        )
        interpolated = ops.add(ops.multiply(interpolation, momentum), ops.multiply(beta_1, average))
        self.assign(variable, interpolated)

    def get_config(self):
        config = super().get_config()
        config.update(
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            warmup_steps=self.warmup_steps,
        )
        return config
