"""FTRL-Proximal: follow the regularised leader, per coordinate."""

import keras
from keras import ops

from . import _checks, _ranges
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013, "Ad Click Prediction", Algorithm 1).

    Update rule, in the names of `update_step` (per variable: `accumulator`,
    starting at `initial_accumulator_value`, and `linear`, starting at zero;
    `p = -learning_rate_power`, 0.5 by default)::

        l2 = l2_regularization_strength + beta / (2 * learning_rate)
        shrunk_gradient = gradient + 2 * l2_shrinkage_regularization_strength * variable
        new_accumulator = accumulator + gradient ** 2
        linear = linear + shrunk_gradient
                 - (new_accumulator ** p - accumulator ** p) / learning_rate * variable
        quadratic = new_accumulator ** p / learning_rate + 2 * l2
        variable = (clip(linear, -l1, l1) - linear) / quadratic
        accumulator = new_accumulator

    with `l1 = l1_regularization_strength`. The variable is recomputed from
    `linear` each step: it is exactly zero wherever `abs(linear) <= l1`,
    which is how L1 makes it sparse. Equal, bit for bit, to
    `keras.optimizers.Ftrl(...)` on dense gradients. With no regularisation,
    `beta = 0`, `p = 0.5` and `initial_accumulator_value = 0` it is Adagrad
    without epsilon; a positive initial accumulator enters `quadratic` but
    not `linear`, a pull towards zero of strength
    `initial_accumulator_value ** p / learning_rate`.

    Differences from the paper: its `z, n, alpha, lambda_1, lambda_2` are
    `linear, accumulator, learning_rate, l1, l2` here; the paper's
    denominator is `(beta + sqrt(n)) / alpha + lambda_2`, Keras's is
    `sqrt(n) / alpha + 2 * l2` with `beta` folded into `l2` (so `lambda_2 =
    2 * l2`), and the paper starts `n` at zero (Keras at 0.1).
    `learning_rate_power` generalises the paper's square root. The
    shrinkage term (an L2 penalty on the variable through the gradient only,
    not the accumulator) is TensorFlow's addition. PyTorch and optax have no
    FTRL. Keras's `weight_decay` decays the variable before the step, where
    FTRL then overwrites it from `linear` except through the `variable`
    terms of `linear` and `shrunk_gradient`.

    Where `quadratic` is 0 (`initial_accumulator_value=0`, no L2 and no
    gradient yet) the variable keeps its value (Keras divides by zero).

    Sparse gradients arrive dense (`optimizers.base.Optimizer.apply`), so
    repeated rows of an `Embedding` gradient are summed. Rows with no
    gradient in a step are still recomputed from `linear` (TensorFlow 1's
    sparse FTRL kernel left them alone): with a positive initial
    accumulator, a row that has never had a gradient becomes 0.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        learning_rate_power: float <= 0, `-p`. Defaults to -0.5.
        initial_accumulator_value: float >= 0. Defaults to 0.1.
        l1_regularization_strength: float >= 0. Defaults to 0.0.
        l2_regularization_strength: float >= 0. Defaults to 0.0.
        l2_shrinkage_regularization_strength: float >= 0. Defaults to 0.0.
        beta: float >= 0. Defaults to 0.0.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.positive_learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.learning_rate_power = _ranges.non_positive("learning_rate_power", learning_rate_power)
        self.initial_accumulator_value = _checks.non_negative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.l1_regularization_strength = _checks.non_negative(
            "l1_regularization_strength", l1_regularization_strength
        )
        self.l2_regularization_strength = _checks.non_negative(
            "l2_regularization_strength", l2_regularization_strength
        )
        self.l2_shrinkage_regularization_strength = _checks.non_negative(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength
        )
        self.beta = _checks.non_negative("beta", beta)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        initializer = keras.initializers.Constant(self.initial_accumulator_value)
        self._accumulators, self._linears = self.add_optimizer_variables(
            variables, ["accumulator", "linear"], initializer=[initializer, "zeros"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        accumulator = self._accumulators[index]
        linear = self._linears[index]
        power = -self.learning_rate_power

        beta_term = ops.divide(self.beta, ops.multiply(2.0, learning_rate))
        l2 = ops.add(self.l2_regularization_strength, beta_term)
        shrinkage = ops.multiply(2 * self.l2_shrinkage_regularization_strength, variable)
        shrunk_gradient = ops.add(gradient, shrinkage)
        new_accumulator = ops.add(accumulator, ops.square(gradient))
        sigma = ops.subtract(ops.power(new_accumulator, power), ops.power(accumulator, power))
        sigma = ops.divide(sigma, learning_rate)
        self.assign_add(linear, ops.subtract(shrunk_gradient, ops.multiply(sigma, variable)))
        quadratic = ops.add(
            ops.divide(ops.power(new_accumulator, power), learning_rate), ops.multiply(2, l2)
        )
        l1 = self.l1_regularization_strength
        clipped = ops.clip(linear, -l1, l1)
        solved = ops.divide(ops.subtract(clipped, linear), quadratic)
        if self._quadratic_may_be_zero():
            # No curvature yet: no gradient, no accumulator, no L2. Keras divides by 0.
            solved = ops.where(ops.equal(quadratic, 0), ops.convert_to_tensor(variable), solved)
        self.assign(variable, solved)
        self.assign(accumulator, new_accumulator)

    def _quadratic_may_be_zero(self):
        # sqrt(n) / rate + 2 * l2 is 0 only with n = 0 (p > 0) and no L2 term.
        no_l2 = self.l2_regularization_strength == 0 and self.beta == 0
        return no_l2 and self.initial_accumulator_value == 0 and self.learning_rate_power < 0

    def get_config(self):
        config = super().get_config()
        config.update(
            learning_rate_power=self.learning_rate_power,
            initial_accumulator_value=self.initial_accumulator_value,
            l1_regularization_strength=self.l1_regularization_strength,
            l2_regularization_strength=self.l2_regularization_strength,
            l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
            beta=self.beta,
        )
        return config
