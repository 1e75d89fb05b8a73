"""Heavy-ball momentum and Nesterov accelerated gradient."""

import keras
from keras import ops

from . import _checks
from .base import Optimizer


@keras.saving.register_keras_serializable(package="optimizers")
class Momentum(Optimizer):
    """Gradient descent with heavy-ball (or Nesterov) momentum.

    Update rule, in the names of `update_step` (one buffer `m` per variable,
    starting at zero; its slot is named "momentum", as in Keras's SGD)::

        m = m * momentum - gradient * learning_rate
        variable = variable + m                              # nesterov=False
        variable = variable + m * momentum - gradient * learning_rate
                                                             # nesterov=True

    There is no epsilon. Equal, bit for bit, to
    `keras.optimizers.SGD(momentum=..., nesterov=...)`; only the default
    momentum differs (0.9 here, 0.0 in Keras's SGD).

    Departures from Keras, where Keras's result is wrong: sparse gradients
    (`Embedding`) are made dense before anything else, clipping included
    (`optimizers.base.Optimizer.apply`), so a row repeated in a batch is
    summed first; Keras's built-in clips each repeated slice on its
    own (see `SGD`).

    Differences from PyTorch's `torch.optim.SGD(momentum=...)`: PyTorch keeps
    an unscaled buffer `buf = momentum * buf + gradient` and steps
    `variable -= learning_rate * buf` (Nesterov:
    `variable -= learning_rate * (gradient + momentum * buf)`). With a
    constant learning rate `m == -learning_rate * buf` and the
    trajectories agree; when the rate changes, Keras's buffer keeps the old
    rates of past steps, PyTorch's rescales the whole history at once.
    Keras's `weight_decay` is decoupled (applied to `variable` before the
    step); PyTorch's is L2 and flows through the momentum buffer.

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.01.
        momentum: float in [0, 1). Defaults to 0.9.
        nesterov: bool, use the Nesterov form. Defaults to False.
        weight_decay: None or float >= 0, decoupled.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(
        self, learning_rate=0.01, momentum=0.9, nesterov=False, weight_decay=None, **kwargs
    ):
        super().__init__(
            learning_rate=_checks.learning_rate(learning_rate),
            weight_decay=_checks.weight_decay(weight_decay),
            **kwargs,
        )
        self.momentum = _checks.decay_rate("momentum", momentum)
        self.nesterov = _checks.flag("nesterov", nesterov)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        momentum = ops.convert_to_tensor(self.momentum, dtype=variable.dtype)
        m = self._momentums[self._get_variable_index(variable)]
        scaled_gradient = ops.multiply(gradient, learning_rate)
        self.assign(m, ops.subtract(ops.multiply(m, momentum), scaled_gradient))
        if self.nesterov:
            self.assign_add(variable, ops.subtract(ops.multiply(m, momentum), scaled_gradient))
        else:
            self.assign_add(variable, m)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config


@keras.saving.register_keras_serializable(package="optimizers")
class Nesterov(Momentum):
    """Nesterov accelerated gradient: `Momentum` with `nesterov=True` by default.

    Registered as "nesterov" so that `OPTIMIZERS["nesterov"]()` needs no
    argument; the update rule and everything else are those of `Momentum`.
    """

    def __init__(
        self, learning_rate=0.01, momentum=0.9, nesterov=True, weight_decay=None, **kwargs
    ):
        super().__init__(
            learning_rate=learning_rate,
            momentum=momentum,
            nesterov=nesterov,
            weight_decay=weight_decay,
            **kwargs,
        )
