"""Evaluate at the weights an optimizer means to be evaluated at.

Schedule-Free AdamW (Defazio et al., 2024, "The Road Less Scheduled") takes its
gradients at `y`, the point the model's variables hold while training, but
its iterate to evaluate and report is the average `x`. Keras's
`ScheduleFreeAdamW` has no evaluation mode: `fit`'s validation, `evaluate` and
`save` all see `y`. Our class gives `x` through
`optimizer.averaged_values(variables)` (optimizers/schedule_free_adamw.py).

`AveragedWeights` puts `x` into the trainable variables for every evaluation
inside `fit` (the validation after each epoch) and puts the exact saved `y`
back afterwards, so training goes on bit for bit as without evaluation;
`evaluated_at_averaged_weights(model)` does the same around the test
evaluation. Checkpoints are written between epochs, with `y` in place, so a
resumed run continues exactly. Non-trainable state (batch-normalisation
statistics) is the one gathered at `y`; the paper's authors recompute it at
`x`, which this toolkit does not. For any optimizer without
`averaged_values`, both do nothing.
"""

from __future__ import annotations

import contextlib

import keras


def has_averaged_weights(optimizer) -> bool:
    return callable(getattr(optimizer, "averaged_values", None))


@contextlib.contextmanager
def evaluated_at_averaged_weights(model):
    """Within the block, `model`'s trainable variables hold the optimizer's `x`."""
    optimizer = model.optimizer
    if not has_averaged_weights(optimizer) or not optimizer.built:
        yield
        return
    variables = list(model.trainable_variables)
    saved = [keras.ops.copy(variable.value) for variable in variables]
    for variable, value in zip(variables, optimizer.averaged_values(variables), strict=True):
        variable.assign(value)
    try:
        yield
    finally:
        for variable, value in zip(variables, saved, strict=True):
            variable.assign(value)


class AveragedWeights(keras.callbacks.Callback):
    """Every evaluation inside `fit` runs at the optimizer's averaged weights, if it has them."""

    def __init__(self):
        super().__init__()
        self._context = None

    def on_test_begin(self, logs=None):
        self._context = evaluated_at_averaged_weights(self.model)
        self._context.__enter__()

    def on_test_end(self, logs=None):
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None
