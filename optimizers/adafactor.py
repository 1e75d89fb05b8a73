"""Adafactor: Adam-like scaling from factored second moments, without a first moment."""

import math

import keras
from keras import ops

from . import _checks, _ranges
from .base import Optimizer


def _mean(x, axis=None, keepdims=False):
    """`ops.mean`, except in float64: the sum over the count.

    Keras's JAX and PyTorch backends reduce a float64 `mean` in float32 (their
    `mean` sums with `dtype=result_type(x.dtype, "float32")`, and
    `BIT64_TO_BIT32_DTYPE` in keras/src/backend/common/dtypes.py makes that
    float32 on every backend but TensorFlow), an error of about 1e-8; their
    `sum` keeps float64. Other dtypes take Keras's own `mean`.
    """
    if keras.backend.standardize_dtype(x.dtype) != "float64":
        return ops.mean(x, axis=axis, keepdims=keepdims)
    axes = range(len(x.shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    count = math.prod(x.shape[a] for a in axes)
    return ops.divide(ops.sum(x, axis=axis, keepdims=keepdims), ops.cast(count, x.dtype))


def _rms(x):
    return ops.sqrt(_mean(ops.square(x)))


def _average(beta, average, value):
    # beta * average + (1 - beta) * value, in Keras's order of operations.
    return ops.add(ops.multiply(beta, average), ops.multiply(ops.subtract(1, beta), value))


@keras.saving.register_keras_serializable(package="optimizers")
class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018, Algorithms 4 and 5), without momentum.

    Update rule at step `t = iterations + 1`, in the names of `update_step`;
    `rms(x) = sqrt(mean(x ** 2))`; for a variable of two or more dimensions
    (factored) `velocity_row` (shape `variable.shape[:-1]`) and
    `velocity_column` (shape `variable.shape[:-2] + variable.shape[-1:]`),
    for one of fewer a full `velocity`, all starting at zero::

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(variable)) * rho
        beta_2 = 1 - t ** beta_2_decay               # 0 at t = 1
        square = gradient ** 2 + epsilon_1
        # factored, over the last two axes:
        velocity_row = beta_2 * velocity_row + (1 - beta_2) * mean(square, axis=-1)
        velocity_column = beta_2 * velocity_column + (1 - beta_2) * mean(square, axis=-2)
        velocity = (velocity_row / mean(velocity_row, axis=-1))[..., None]
                   * velocity_column[..., None, :]
        # not factored:
        velocity = beta_2 * velocity + (1 - beta_2) * square
        update = gradient / sqrt(velocity)
        update = update / max(1, rms(update) / clip_threshold)
        variable = variable - alpha * update

    The factored `velocity` is the paper's rank-one `R C / sum(R)` written
    with means; it is recomputed each step, never stored. Equal, bit for
    bit, to `keras.optimizers.Adafactor(...)` on dense gradients (Keras also
    stores the full `velocity` of factored variables; this class keeps only
    the row and column statistics, the memory saving of the paper).

    `relative_step` is kept for Keras's signature and configs but changes
    nothing: Keras takes `min(learning_rate, 1 / sqrt(t))` whether it is on
    or off, and so does this class. Hence `learning_rate` caps the paper's
    relative step `1 / sqrt(t)` (the paper caps it at 0.01; Keras's default
    0.001 makes the rate constant for the first million steps).

    Differences from the paper: Keras always factors the last two axes of
    any variable of rank >= 2, and has no first moment (`beta_1`). optax's
    `adafactor` factors the two largest axes only when both reach
    `min_dim_size_to_factor=128`. PyTorch's `torch.optim.Adafactor` (default
    learning rate 0.01) floors with a maximum instead of adding epsilon_1
    (`gradient / sqrt(max(velocity, eps_1))`, eps_1 the dtype's machine
    epsilon) and wants a clipping threshold >= 1. Keras's `weight_decay`, as
    PyTorch's, is decoupled (`variable -= variable * weight_decay *
    learning_rate`, before the step).

    A step is zero (not NaN) where the factored
    `velocity` underflows to 0 (a zero row and a zero column of the gradient
    give about `epsilon_1 ** 2`, below float32's smallest number), which
    Keras's built-in turns into NaN in the whole variable.

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed before squaring.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        beta_2_decay: float <= 0, the exponent of `t` in `beta_2`.
            Defaults to -0.8.
        epsilon_1: float >= 0, added to the squared gradient. Defaults to 1e-30.
        epsilon_2: float >= 0, the smallest scale `alpha` uses. Defaults to 1e-3.
        clip_threshold: float > 0, the largest `rms(update)`. Defaults to 1.0.
        relative_step: bool, no effect (see above). Defaults to True.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.beta_2_decay = _ranges.non_positive("beta_2_decay", beta_2_decay)
        self.epsilon_1 = _checks.non_negative("epsilon_1", epsilon_1)
        self.epsilon_2 = _checks.non_negative("epsilon_2", epsilon_2)
        self.clip_threshold = _ranges.positive("clip_threshold", clip_threshold)
        self.relative_step = _checks.flag("relative_step", relative_step)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # One entry per variable: (row, column) statistics, or the full velocity.
        self._velocities = []
        for variable in variables:
            if len(variable.shape) < 2:
                self._velocities.append(self.add_variable_from_reference(variable, "velocity"))
                continue
            shape, dtype = tuple(variable.shape), variable.dtype
            prefix = variable.path.replace("/", "_")
            row = self.add_variable(shape[:-1], dtype=dtype, name=f"{prefix}_velocity_row")
            column = self.add_variable(
                shape[:-2] + shape[-1:], dtype=dtype, name=f"{prefix}_velocity_column"
            )
            self._velocities.append((row, column))

    def _velocity(self, index, beta_2, square):
        """Advance the second-moment state of variable `index`; return its `velocity`."""
        state = self._velocities[index]
        if not isinstance(state, tuple):
            self.assign(state, _average(beta_2, state, square))
            return state
        row, column = state
        self.assign(row, _average(beta_2, row, _mean(square, axis=-1)))
        self.assign(column, _average(beta_2, column, _mean(square, axis=-2)))
        row_share = ops.divide(row, _mean(row, axis=-1, keepdims=True))
        return ops.multiply(ops.expand_dims(row_share, -1), ops.expand_dims(column, -2))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        epsilon_2 = ops.convert_to_tensor(self.epsilon_2, dtype=dtype)

        rho = ops.minimum(learning_rate, ops.divide(1.0, ops.sqrt(step)))
        alpha = ops.multiply(ops.maximum(epsilon_2, _rms(variable)), rho)
        beta_2 = ops.subtract(1, ops.power(step, self.beta_2_decay))
        square = ops.add(ops.square(gradient), self.epsilon_1)
        velocity = self._velocity(self._get_variable_index(variable), beta_2, square)
        # A factored velocity is a product of two statistics: where a row and a column of
        # the gradient are both zero it is about epsilon_1 ** 2, which underflows to 0 in
        # float32 (Keras: 0 / 0 = NaN in every weight, through the clipping's rms).
        # The test is on `velocity`, so that `sqrt` feeds the division alone: TensorFlow then
        # rewrites `x / sqrt(y)` into `x * rsqrt(y)`, as in Keras's graph (bit for bit).
        if len(variable.shape) >= 2 or self.epsilon_1 == 0:
            underflowed = ops.equal(velocity, 0)
            velocity = ops.where(underflowed, ops.ones_like(velocity), velocity)
            update = ops.divide(gradient, ops.sqrt(velocity))
            update = ops.where(underflowed, ops.zeros_like(update), update)
        else:
            update = ops.divide(gradient, ops.sqrt(velocity))
        clip = ops.maximum(ops.ones((), dtype), ops.divide(_rms(update), self.clip_threshold))
        self.assign_sub(variable, ops.multiply(alpha, ops.divide(update, clip)))

    def get_config(self):
        config = super().get_config()
        config.update(
            beta_2_decay=self.beta_2_decay,
            epsilon_1=self.epsilon_1,
            epsilon_2=self.epsilon_2,
            clip_threshold=self.clip_threshold,
            relative_step=self.relative_step,
        )
        return config
