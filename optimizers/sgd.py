"""Plain (mini-batch) stochastic gradient descent."""

import keras
from keras import ops

from . import _checks
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class SGD(Optimizer):
    """Plain mini-batch gradient descent, with no state.

    Update rule, in the names of `update_step`::

        variable = variable - gradient * learning_rate

    There is no epsilon. Equal, bit for bit, to `keras.optimizers.SGD()` (its
    `momentum=0.0`); for momentum use `Momentum`.

    Departures from Keras, where Keras's result is wrong: sparse gradients
    (`Embedding`) are made dense before anything else, clipping included
    (`optimizers.base.Optimizer.apply`), so a row repeated in a batch is
    summed first; Keras's built-in clips each repeated slice on its own
    (three slices [3, 4] of one row, `clipnorm=1`: a step of about [1.04, 1.39]
    where the dense row [9, 12] gives [0.6, 0.8]) and subtracts them one by
    one. The dense gradient costs a dense update of the whole variable.

    Differences from PyTorch's `torch.optim.SGD`: Keras's `weight_decay` is
    decoupled, applied by the base class before the step as
    `variable = variable - variable * weight_decay * learning_rate`, while
    PyTorch's adds `weight_decay * variable` to the gradient (L2). For plain
    SGD the two give the same update in exact arithmetic; they part ways once
    momentum or adaptive scaling acts on the gradient.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.01.
        weight_decay: None or float >= 0, decoupled as above.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`
            (`clipnorm`, `clipvalue`, `global_clipnorm`, `use_ema`,
            `ema_momentum`, `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`, default "sgd").
    """

    def __init__(self, learning_rate=0.01, weight_decay=None, **kwargs):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        self.assign_sub(variable, ops.multiply(gradient, learning_rate))
