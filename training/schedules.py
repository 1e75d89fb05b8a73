"""Learning-rate schedules: the Keras objects a run's schedule section makes.

The section itself is resolved and checked in `experiments.schedule`.

Every schedule is Keras's own, evaluated by the optimizer at its step count
`step` (0 for the first update); epochs are converted to steps with the run's
`steps_per_epoch` (S), and lr is the optimizer's `learning_rate`:

- constant: lr.
- step: `ExponentialDecay(lr, decay_epochs * S, decay_rate, staircase=True)`,
  lr * decay_rate ** floor(step / (decay_epochs * S)): the rate drops at epoch
  boundaries, every `decay_epochs` epochs.
- exponential: the same without the staircase, lr * decay_rate ** (step / (decay_epochs * S)).
- inverse_time: `InverseTimeDecay`, lr / (1 + decay_rate * step / (decay_epochs * S)).
- cosine: `CosineDecay(lr, decay_epochs * S)`, lr * 0.5 * (1 + cos(pi * step /
  (decay_epochs * S))), reaching 0 after `decay_epochs` (by default the rest of the run).
- plateau: a plain rate that Keras's `ReduceLROnPlateau` callback multiplies by
  `decay_rate` once val_loss has not improved (by 1e-4) for `patience` epochs.

`warmup_epochs` W > 0 first raises the rate linearly from 0: lr * step / (W * S)
for step < W * S, then the schedule runs from its own step 0 (step - W * S).
For cosine that is `CosineDecay`'s own `warmup_steps`/`warmup_target`; for the
others Keras has no warmup, so `WarmUp` below wraps them with the same formula.
"""

from __future__ import annotations

import keras
from keras import ops
from keras.optimizers import schedules

PLATEAU_MIN_DELTA = 1e-4  # Keras's default: smaller val_loss changes are no improvement


DECAYS = {
    "step": lambda rate, steps, config: schedules.ExponentialDecay(
        rate, steps, config["decay_rate"], staircase=True),
    "exponential": lambda rate, steps, config: schedules.ExponentialDecay(
        rate, steps, config["decay_rate"]),
    "inverse_time": lambda rate, steps, config: schedules.InverseTimeDecay(
        rate, steps, config["decay_rate"]),
    "cosine": lambda rate, steps, config: schedules.CosineDecay(rate, steps),
}


def build_learning_rate(schedule: dict, learning_rate: float, steps_per_epoch: int):
    """The optimizer's `learning_rate`: a float (constant, plateau) or a Keras schedule."""
    name = schedule["name"]
    warmup_steps = schedule.get("warmup_epochs", 0) * steps_per_epoch
    decay_steps = schedule.get("decay_epochs", 0) * steps_per_epoch
    if name == "cosine" and warmup_steps:
        return schedules.CosineDecay(0.0, decay_steps, warmup_target=learning_rate,
                                     warmup_steps=warmup_steps)
    decay = DECAYS[name](learning_rate, decay_steps, schedule) if name in DECAYS else None
    if warmup_steps:
        return WarmUp(learning_rate, warmup_steps, decay)
    return decay if decay is not None else learning_rate


@keras.saving.register_keras_serializable(package="training")
class WarmUp(schedules.LearningRateSchedule):
    """Linear warmup from 0 to `target` over `warmup_steps`, then `after` (or `target`).

        step < warmup_steps:  target * step / warmup_steps
        otherwise:            after(step - warmup_steps), or target if after is None

    The formula of `CosineDecay`'s warmup (from 0), for schedules Keras gives none.
    """

    def __init__(self, target: float, warmup_steps: int, after=None):
        super().__init__()
        if warmup_steps <= 0:
            raise ValueError(f"warmup_steps must be > 0, got {warmup_steps!r}")
        self.target = float(target)
        self.warmup_steps = int(warmup_steps)
        self.after = after

    def __call__(self, step):
        step = ops.cast(step, "float32")
        target = ops.convert_to_tensor(self.target, dtype="float32")
        warming = ops.divide(ops.multiply(target, step), float(self.warmup_steps))
        if self.after is None:
            return ops.where(step < self.warmup_steps, warming, target)
        return ops.cond(
            step < self.warmup_steps,
            lambda: warming,
            lambda: ops.cast(self.after(step - self.warmup_steps), "float32"),
        )

    def get_config(self):
        after = None if self.after is None else schedules.serialize(self.after)
        return {"target": self.target, "warmup_steps": self.warmup_steps, "after": after}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("after") is not None:
            config["after"] = schedules.deserialize(config["after"])
        return cls(**config)
