"""Muon: orthogonalised momentum for matrices, AdamW for everything else."""

import re

import keras
from keras import ops

from . import _checks, _ranges
from .base import Optimizer

# Added to the Frobenius norm before the Newton-Schulz iteration, as in Keras.
NORM_EPSILON = 1e-7


def frobenius_norm(x):
    """`ops.norm(x, axis=(-2, -1), keepdims=True)`, except in float64: the root of the sum
    of squares.

    Keras's JAX and PyTorch backends cast a float64 `x` to float32 before the norm
    (their `norm` casts to `result_type(x.dtype, float)`, which
    `BIT64_TO_BIT32_DTYPE` in keras/src/backend/common/dtypes.py makes float32 on
    every backend but TensorFlow), an error of about 1e-8; `sum` and `sqrt` keep
    float64. Other dtypes take Keras's own `norm`. Shape `(..., 1, 1)`.
    """
    if keras.backend.standardize_dtype(x.dtype) != "float64":
        return ops.norm(x, axis=(-2, -1), keepdims=True)
    return ops.sqrt(ops.sum(ops.square(x), axis=(-2, -1), keepdims=True))


def _transpose_last_two(x):
    axes = list(range(len(x.shape)))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return ops.transpose(x, axes)


def newton_schulz(x, steps, a, b, c):
    """`steps` quintic Newton-Schulz iterations towards the orthogonal factor of `x`.

    With `x = U S V^T`, each iteration maps every singular value `s` to
    `a * s + b * s ** 3 + c * s ** 5` and keeps `U`, `V`; the defaults of
    `Muon` drive `s` into roughly [0.7, 1.2] from any start in (0, 1], which
    the division by the Frobenius norm guarantees. Shapes `(..., rows,
    columns)`; wide matrices are iterated as they are, tall ones transposed.
    """
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = _transpose_last_two(x)
    x = ops.divide(x, ops.add(frobenius_norm(x), NORM_EPSILON))
    for _ in range(steps):
        gram = ops.matmul(x, _transpose_last_two(x))
        polynomial = ops.add(ops.multiply(b, gram), ops.matmul(ops.multiply(c, gram), gram))
        x = ops.add(ops.multiply(a, x), ops.matmul(polynomial, x))
    return _transpose_last_two(x) if tall else x


@keras.saving.register_keras_serializable(package="optimizers")
class Muon(Optimizer):
    """Muon (Jordan et al., 2024), with the RMS matching of Liu et al. (2025).

    Which rule a variable takes, decided once in `build` as Keras decides it
    (`uses_adamw`): AdamW if the variable is not two-dimensional, if
    `exclude_embeddings` and its path contains "embedding" (any case), or if
    any of the regular expressions `exclude_layers` matches its path
    (`re.search`); Muon otherwise. Keras recommends excluding the output
    layer (`exclude_layers=["output_dense"]`).

    Muon step, in the names of `update_step` (`momentum` per variable, zero
    at first; `newton_schulz` as in its docstring)::

        momentum = momentum * momentum_coefficient + gradient  # `momentum` arg
        direction = gradient + momentum_coefficient * momentum  # nesterov
        direction = momentum                                    # otherwise
        update = learning_rate * newton_schulz(direction, ns_steps, muon_a, muon_b, muon_c)
        update = update * sqrt(max(rows, columns)) * rms_rate   # unless rms_rate is None
        variable = variable - update

    AdamW step (`momentum` and `velocity`, zero at first), Keras's `Adam`
    with `alpha = learning_rate * adam_lr_ratio * sqrt(1 - adam_beta_2 ** t)
    / (1 - adam_beta_1 ** t)` and epsilon outside the root of the
    uncorrected velocity. Before either step every variable not excluded
    from weight decay is decayed, `variable -= variable * decay *
    learning_rate` with `decay = weight_decay` (Muon) or
    `adam_weight_decay` (AdamW) and the full learning rate (no
    `adam_lr_ratio`). Equal, bit for bit, to `keras.optimizers.Muon(...)` on
    dense gradients.

    Differences from Keller Jordan's reference code: its current momentum
    averages, `momentum = mu * momentum + (1 - mu) * gradient`, where Keras
    sums (`mu * momentum + gradient`, as PyTorch's SGD buffer); the
    Newton-Schulz step ignores the scale, so only the Nesterov mix of
    gradient and momentum differs. Its update scale is
    `max(1, rows / columns) ** 0.5`; Keras follows Moonlight's
    `rms_rate * sqrt(max(rows, columns))` (Liu et al.), which lets Muon use
    Adam's learning rate and weight decay. The reference code flattens
    convolution kernels into matrices; Keras gives every variable that is
    not 2-D to AdamW. No epsilon enters the Muon step except the 1e-7 added
    to the Frobenius norm.

    With `epsilon=0` an AdamW coordinate whose gradient has always been zero
    stays put (0 / 0 is 0 here, NaN in Keras).

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed before squaring.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        adam_beta_1: float in [0, 1). Defaults to 0.9.
        adam_beta_2: float in [0, 1). Defaults to 0.999.
        adam_weight_decay: None or float >= 0, decay of AdamW variables.
            Defaults to 0.004.
        epsilon: float >= 0, AdamW's. Defaults to 1e-7.
        weight_decay: None or float >= 0, decay of Muon variables.
            Defaults to 0.004.
        exclude_layers: None or list of regular expressions (str).
        exclude_embeddings: bool. Defaults to True.
        muon_a, muon_b, muon_c: finite floats, the quintic's coefficients.
            Default to 3.4445, -4.7750, 2.0315.
        adam_lr_ratio: float > 0, AdamW's share of the rate. Defaults to 1.
        momentum: float in [0, 1). Defaults to 0.95.
        ns_steps: int >= 0, Newton-Schulz iterations. Defaults to 5.
        nesterov: bool. Defaults to True.
        rms_rate: None or float > 0. Defaults to 0.2.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.adam_beta_1 = _checks.decay_rate("adam_beta_1", adam_beta_1)
        self.adam_beta_2 = _checks.decay_rate("adam_beta_2", adam_beta_2)
        self.adam_weight_decay = _ranges.optional(
            _checks.non_negative, "adam_weight_decay", adam_weight_decay
        )
        self.epsilon = _checks.non_negative("epsilon", epsilon)
        self.exclude_layers = _patterns(exclude_layers)
        self.exclude_embeddings = _checks.flag("exclude_embeddings", exclude_embeddings)
        self.muon_a = _ranges.finite("muon_a", muon_a)
        self.muon_b = _ranges.finite("muon_b", muon_b)
        self.muon_c = _ranges.finite("muon_c", muon_c)
        self.adam_lr_ratio = _ranges.positive("adam_lr_ratio", adam_lr_ratio)
        self.momentum = _checks.decay_rate("momentum", momentum)
        self.ns_steps = _ranges.count("ns_steps", ns_steps)
        self.nesterov = _checks.flag("nesterov", nesterov)
        self.rms_rate = _ranges.optional(_ranges.positive, "rms_rate", rms_rate)

    def uses_adamw(self, variable):
        """True where `variable` takes the AdamW step, False where it takes Muon's."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # Per variable, as Keras orders them: its momentum, then (AdamW only) its velocity.
        self._momentums, self._velocities = [], []
        for variable in variables:
            self._momentums.append(self.add_variable_from_reference(variable, "momentum"))
            velocity = None
            if self.uses_adamw(variable):
                velocity = self.add_variable_from_reference(variable, "velocity")
            self._velocities.append(velocity)

    def _apply_weight_decay(self, variables):
        # The base class decays every variable by `self.weight_decay`; AdamW's
        # variables take `adam_weight_decay` instead, through the same code path
        # (which on TensorFlow also handles distribution strategies).
        self._decay([v for v in variables if self.uses_adamw(v)], self.adam_weight_decay)
        self._decay([v for v in variables if not self.uses_adamw(v)], self.weight_decay)

    def _decay(self, variables, decay):
        if not variables or decay is None:
            return
        if keras.backend.backend() == "torch":
            # Keras's PyTorch base class forms `variable * (1 - decay * lr)` with
            # `torch._foreach_mul_`; Keras's Muon, on every backend, the expression
            # below, rounded as here.
            for variable in variables:
                if self._use_weight_decay(variable):
                    wd = ops.cast(decay, variable.dtype)
                    lr = ops.cast(self.learning_rate, variable.dtype)
                    decrement = ops.multiply(ops.multiply(variable, wd), lr)
                    variable.assign(ops.subtract(variable, decrement))
            return
        own_decay = self.weight_decay
        try:
            self.weight_decay = decay
            super()._apply_weight_decay(variables)
        finally:
            self.weight_decay = own_decay

    def update_step(self, gradient, variable, learning_rate):
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        if self._velocities[index] is None:
            self._muon_step(gradient, variable, learning_rate, self._momentums[index])
        else:
            learning_rate = ops.multiply(learning_rate, self.adam_lr_ratio)
            self._adamw_step(gradient, variable, learning_rate, index)

    def _muon_step(self, gradient, variable, learning_rate, momentum):
        dtype = variable.dtype
        # momentum * mu + g, as m + (g + m * (mu - 1)) in Keras's order.
        self.assign_add(momentum, ops.add(gradient, ops.multiply(momentum, self.momentum - 1)))
        direction = momentum
        if self.nesterov:
            direction = ops.add(gradient, ops.multiply(self.momentum, momentum))
        orthogonal = newton_schulz(direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        update = ops.multiply(ops.cast(learning_rate, dtype), orthogonal)
        if self.rms_rate is not None:
            size = ops.convert_to_tensor(float(max(variable.shape)), dtype=dtype)
            update = ops.multiply(ops.multiply(update, ops.sqrt(size)), self.rms_rate)
        self.assign_sub(variable, update)

    def _adamw_step(self, gradient, variable, learning_rate, index):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.convert_to_tensor(self.adam_beta_1, dtype=dtype), step)
        beta_2_power = ops.power(ops.convert_to_tensor(self.adam_beta_2, dtype=dtype), step)
        momentum, velocity = self._momentums[index], self._velocities[index]
        alpha = ops.divide(
            ops.multiply(learning_rate, ops.sqrt(ops.subtract(1, beta_2_power))),
            ops.subtract(1, beta_1_power),
        )
        self._update_moment(momentum, gradient, 1 - self.adam_beta_1)
        self._update_moment(velocity, ops.square(gradient), 1 - self.adam_beta_2, squares=True)
        denominator = ops.add(ops.sqrt(velocity), self.epsilon)
        step = self._divide(ops.multiply(momentum, alpha), denominator, self.epsilon == 0)
        self.assign_sub(variable, step)

    def get_config(self):
        config = super().get_config()
        config.update(
            adam_beta_1=self.adam_beta_1,
            adam_beta_2=self.adam_beta_2,
            epsilon=self.epsilon,
            exclude_layers=list(self.exclude_layers),
            muon_a=self.muon_a,
            muon_b=self.muon_b,
            muon_c=self.muon_c,
            adam_lr_ratio=self.adam_lr_ratio,
            momentum=self.momentum,
            ns_steps=self.ns_steps,
            nesterov=self.nesterov,
            exclude_embeddings=self.exclude_embeddings,
            adam_weight_decay=self.adam_weight_decay,
            rms_rate=self.rms_rate,
        )
        return config


def _patterns(exclude_layers):
    """`exclude_layers` as a list of compiled-checked regular expressions."""
    patterns = [] if exclude_layers is None else exclude_layers
    requirement = "None or a list of regular expressions (str)"
    if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)):
        _ranges._fail("exclude_layers", exclude_layers, requirement)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except (TypeError, re.error):
            _ranges._fail("exclude_layers", exclude_layers, requirement)
    return list(patterns)
