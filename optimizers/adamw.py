"""AdamW: Adam with decoupled weight decay."""

import keras

from . import _checks
from .adam import Adam


@keras.saving.register_keras_serializable(package="optimizers")
class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.

    `Adam` with a weight decay that must be a number (default 0.004), as
    Keras's `AdamW(Adam)`. Update rule at step `t = iterations + 1`, in the
    names of `Adam.update_step`::

        variable = variable - variable * weight_decay * learning_rate  # base class
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        velocity = beta_2 * velocity + (1 - beta_2) * gradient ** 2
        variable = variable - alpha * momentum / (sqrt(velocity) + epsilon)

    The decay line runs first, in the Keras base class, on every variable not
    excluded with `exclude_from_weight_decay`; it never touches the moments.
    Epsilon is added outside the root of the uncorrected velocity, as in
    `Adam`; `amsgrad` works as there. Equal, bit for bit, to
    `keras.optimizers.AdamW(...)` on dense gradients. With `weight_decay=0`
    it is `Adam`. It departs from Keras where `Adam` does, for the reasons
    given there (sparse gradients with repeated rows, overflowing squares,
    `epsilon=0`).

    Differences from PyTorch's `torch.optim.AdamW`: the decay step is the
    same (`variable *= 1 - lr * weight_decay`) but PyTorch's default decay is
    0.01 (here 0.004), its epsilon is 1e-8 and goes outside the root of the
    bias-corrected velocity (see `Adam`).

    Args:
        learning_rate: positive float, `LearningRateSchedule` or callable.
            Defaults to 0.001.
        weight_decay: float >= 0, decoupled decay per unit learning rate.
            Defaults to 0.004. None is refused (use `Adam`).
        beta_1: float in [0, 1). Defaults to 0.9.
        beta_2: float in [0, 1). Defaults to 0.999.
        epsilon: float >= 0. Defaults to 1e-7.
        amsgrad: bool. Defaults to False.
        **kwargs: the base arguments of `keras.optimizers.Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=_checks.non_negative("weight_decay", weight_decay),
            **kwargs,
        )
