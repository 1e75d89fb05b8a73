"""What every optimizer of the toolkit shares: its default name and the running averages.

`Optimizer` sits between `keras.optimizers.Optimizer` and the nine classes.
It changes no update rule; it names each instance after its registry name
(`RMSProp()` is "rmsprop", as on the command line, where Keras would make
it "rms_prop") and holds the two running-average formulas the algorithms
share, in the two associations Keras's built-ins use (kept for bit-for-bit
parity with them).
"""

import keras
from keras import ops

from .records import registered_name


class Optimizer(keras.optimizers.Optimizer):
    """A `keras.optimizers.Optimizer` named after its registry name by default.

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

    def _running_average(self, average, value, decay):
        """`average = decay * average + (1 - decay) * value` (Keras's RMSprop, Adadelta).

        `decay` is a Python float; `1 - decay` is formed in float64 and cast once.
        """
        self.assign(average, ops.add(ops.multiply(decay, average), ops.multiply(1 - decay, value)))

    def _update_moment(self, moment, value, weight):
        """`moment = moment + (value - moment) * weight` (Keras's Adam, Nadam).

        With `weight = 1 - beta` this is `beta * moment + (1 - beta) * value`
        in another rounding order; `weight` is passed as the caller's Keras
        counterpart forms it (a Python float for Adam, a tensor for Nadam).
        """
        self.assign_add(moment, ops.multiply(ops.subtract(value, moment), weight))
