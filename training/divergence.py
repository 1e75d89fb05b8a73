"""When a run has diverged: the rule the divergence callback applies (pure Python).

Checked on each epoch's training loss (Keras's "loss": the mean over the epoch's
batches of the cross-entropy plus any L2 penalty), in this order:

1. "non_finite_loss": the loss is NaN or infinite.
2. "loss_threshold": `--divergence_threshold T` is set and the loss is above T.
   With T set, rule 3 is off: T replaces it.
3. "above_chance_loss" (the default): the cross-entropy, the loss less the L2
   penalty of the weights at the epoch's end, is above `CHANCE_FACTOR` (2) times
   the loss of guessing, ln(C) for C classes (4.6 for 10 classes). Keras clips
   predicted probabilities to [1e-7, 1 - 1e-7], so a blown-up network's
   cross-entropy saturates near -ln(1e-7) = 16.1 per wrong example and never
   becomes non-finite; a network that learns anything, or starts from Keras's
   initialisations, stays near or below ln(C).

There is no division anywhere: no 0/0 can make a run diverged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CHANCE_FACTOR = 2.0


@dataclass(frozen=True)
class DivergenceRule:
    """The rule for one run: `threshold` (None: the default rule), `num_classes` C."""

    num_classes: int
    threshold: float | None = None

    @property
    def chance_loss(self) -> float:
        """ln(C): the cross-entropy of predicting 1/C for every class."""
        return math.log(self.num_classes)

    def check(self, loss: float | None, penalty: float = 0.0) -> tuple[str, float | None] | None:
        """(criterion, loss) if `loss` breaks the rule, else None; None loss: no verdict.

        `penalty` is the regularisation part of `loss` (L2), left out by the chance rule.
        """
        if loss is None:
            return None
        if not math.isfinite(loss):
            return "non_finite_loss", None
        if self.threshold is not None:
            return ("loss_threshold", loss) if loss > self.threshold else None
        if loss - penalty > CHANCE_FACTOR * self.chance_loss:
            return "above_chance_loss", loss
        return None
