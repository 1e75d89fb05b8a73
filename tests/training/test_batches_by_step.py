"""Batches cut at steps are the epoch-ordered batches, whatever the cut: resume stays exact."""

import numpy as np
import pytest

from training.pipeline import training_batches, training_batches_by_step


def labels_of(dataset) -> list[list[int]]:
    return [batch[1].numpy().tolist() for batch in dataset]


@pytest.mark.parametrize("first_step, last_step", [(0, 12), (3, 12), (4, 9), (7, 8)])
def test_steps_are_the_epochs_batches_in_order(first_step, last_step):
    x = np.zeros((10, 2), dtype="float32")
    y = np.arange(10)  # the labels name the examples
    # 10 examples, batch 4: 3 steps an epoch (4, 4, 2 examples), epochs 0..3 = steps 0..11
    whole = labels_of(training_batches(x, y, 4, seed=5, first_epoch=0, epochs=4))
    assert len(whole) == 12
    cut = labels_of(training_batches_by_step(x, y, 4, 5, first_step, last_step))
    assert cut == whole[first_step:last_step]
    for epoch in range(4):  # each epoch still sees every example once
        assert sorted(sum(whole[3 * epoch:3 * epoch + 3], [])) == list(range(10))
