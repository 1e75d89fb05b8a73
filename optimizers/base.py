"""What every optimizer of the toolkit shares: its name, sparse gradients, safe arithmetic.

`Optimizer` sits between `keras.optimizers.Optimizer` and the classes.
It changes no update rule. It

- names each instance after its registry name (`RMSProp()` is "rmsprop", as
  on the command line, where Keras would make it "rms_prop");
- sums the repeated rows of sparse gradients before the base class clips,
  decays, accumulates or unscales them (`apply`), so that every option sees
  the gradient the dense computation sees;
- holds the running-average formulas the algorithms share, in the two
  associations Keras's built-ins use (kept for bit-for-bit parity), guarded
  where Keras's association turns an overflow into NaN;
- divides so that 0 / 0 is 0 (`_divide`): a coordinate whose gradient and
  state are all zero does not move, where Keras's built-ins make it NaN.

Where Keras's result is finite, each guard returns it bit for bit.
"""

import sys

import keras
from keras import ops
from keras.backend import standardize_dtype

from . import _checks, _sparse
from .records import registered_name

# The largest finite value of each floating dtype.
_LARGEST = {
    "float16": 65504.0,
    "bfloat16": 3.3895313892515355e38,
    "float32": 3.4028234663852886e38,
    "float64": sys.float_info.max,
}


class Optimizer(keras.optimizers.Optimizer):
    """A `keras.optimizers.Optimizer` with the shared behaviour above.

    Args:
        learning_rate: as `keras.optimizers.Optimizer` (checked by the subclass).
        name: the name of the instance's variable scope; None (the default)
            gives the registry name ("adamw"), or Keras's name for a class
            outside the registry.
        **kwargs: the other arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name or registered_name(type(self)), **kwargs
        )

    def apply(self, grads, trainable_variables=None):
        """`keras.optimizers.Optimizer.apply`, with sparse gradients made dense first.

        An `Embedding` gradient lists one row per looked-up token, so a batch
        that repeats a token repeats the row. Keras clips (`clipnorm`,
        `clipvalue`, `global_clipnorm`), accumulates and unscales those rows
        one by one before any update sums them, so three slices [3, 4] of one
        row are clipped as three small gradients where the dense row [9, 12]
        is one large one. Summing here, before all of that, gives every option
        the dense result. The gradient keeps its dtype; a dense one passes
        through untouched.
        """
        grads = [gradient if gradient is None else _sparse.dense(gradient) for gradient in grads]
        return super().apply(grads, trainable_variables)

    def _running_average(self, average, value, decay):
        """`average = decay * average + (1 - decay) * value` (Keras's RMSprop, Adadelta).

        `decay` is a Python float; `1 - decay` is formed in float64 and cast
        once. Overflow gives inf here, never NaN.
        """
        self.assign(average, ops.add(ops.multiply(decay, average), ops.multiply(1 - decay, value)))

    def _update_moment(self, moment, value, weight, squares=False):
        """`moment = moment + (value - moment) * weight` (Keras's Adam, Nadam).

        With `weight = 1 - beta` this is `beta * moment + (1 - beta) * value`
        in another rounding order; `weight` is passed as the caller's Keras
        counterpart forms it (a Python float for Adam, a tensor for Nadam).

        `squares=True` marks a moment of squared gradients (never negative).
        Departure from Keras there: once a squared gradient has overflowed
        (float32: |gradient| above about 1.8e19), `moment` is inf and Keras's
        `inf + (value - inf) * weight` is NaN on the next step, and so are
        the weights. Here the `moment` inside the parentheses is capped at
        the dtype's largest finite value, so the change stays finite and the
        moment stays inf (the average of an infinite value); a finite moment
        is unchanged by the cap, so the bits are Keras's. The weight then
        stops moving (its step divides by inf) but stays finite.
        """
        current = moment
        if squares:
            current = ops.minimum(moment, _LARGEST[standardize_dtype(moment.dtype)])
        self.assign_add(moment, ops.multiply(ops.subtract(value, current), weight))

    @staticmethod
    def _divide(numerator, denominator, may_be_zero):
        """`numerator / denominator`; with `may_be_zero`, 0 where `denominator` is 0.

        The adaptive methods divide a step built from the gradient by a root
        built from the squared gradients plus epsilon. With `epsilon=0` (and
        AdaGrad's `initial_accumulator_value=0`), a coordinate whose gradient
        and state are all zero gives 0 / 0, which Keras's built-ins turn into
        NaN and spread into the weights; the step of a zero gradient is zero,
        so it is zero here. The callers pass `may_be_zero` only for those
        settings, decided when the step is traced: with a positive epsilon the
        division is a plain one, the very graph of Keras's built-in, which
        TensorFlow's optimizers (`x / sqrt(y)` into `x * rsqrt(y)`) and XLA
        rewrite alike. A zero denominator under a non-zero numerator needs a
        squared gradient that underflowed to 0 (|gradient| below about 1e-23
        in float32); that step is 0 too (Keras: inf).
        """
        quotient = ops.divide(numerator, denominator)
        if not may_be_zero:
            return quotient
        return ops.where(ops.equal(denominator, 0), ops.zeros_like(quotient), quotient)


class AdamFamily(Optimizer):
    """The arguments Adam, Nadam, Adamax and LAMB share, checked and saved in one place.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        beta_1: float in [0, 1), decay of the first moment. Defaults to 0.9.
        beta_2: float in [0, 1), decay of the second. Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-7.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an argument outside the ranges above, naming it.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.beta_1 = _checks.decay_rate("beta_1", beta_1)
        self.beta_2 = _checks.decay_rate("beta_2", beta_2)
        self.epsilon = _checks.non_negative("epsilon", epsilon)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
