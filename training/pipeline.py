"""The training input: mini-batches whose order depends only on (seed, epoch).

Keras shuffles arrays handed to `fit` with a stateful random op, so epoch k's
order depends on every shuffle before it, and a run resumed at epoch k would
see other batches than a run that never stopped. Here epoch k's permutation is
`stateless_shuffle(range(n), seed=(seed, k))`: the same whether the run got
there in one go or was resumed, and the resumed history equals the
uninterrupted one to the last bit.
"""

from __future__ import annotations

import math

import tensorflow as tf


def steps_per_epoch(examples: int, batch_size: int) -> int:
    """Batches in one epoch; the last one may be smaller, as with `fit` on arrays."""
    return math.ceil(examples / batch_size)


def training_batches(x, y, batch_size: int, seed: int, first_epoch: int, epochs: int):
    """A tf.data.Dataset of the batches of epochs `first_epoch` .. `epochs - 1`, in order.

    Hand it to `fit` with `initial_epoch=first_epoch` and `steps_per_epoch`:
    Keras then keeps one iterator across epochs and each epoch takes exactly
    its own batches.
    """
    images = tf.convert_to_tensor(x)
    labels = tf.convert_to_tensor(y)
    count = len(x)

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def gather(indices):
        return tf.gather(images, indices), tf.gather(labels, indices)

    return (
        tf.data.Dataset.range(first_epoch, epochs)
        .flat_map(epoch_order)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def training_batches_by_step(x, y, batch_size: int, seed: int, first_step: int, last_step: int):
    """The batches of global steps `first_step` .. `last_step - 1`, in order.

    The same batches `training_batches` gives, cut at steps instead of epochs:
    step k is batch k mod S of true epoch k // S (S = `steps_per_epoch`), and that
    epoch's order still depends only on (seed, epoch). With Keras's
    `steps_per_epoch` set to an evaluation period P, `fit`'s "epochs" are
    evaluations, and a run resumed after evaluation e starts at step e * P.
    """
    per_epoch = steps_per_epoch(len(x), batch_size)
    first_epoch, skipped = divmod(first_step, per_epoch)
    epochs = -(-last_step // per_epoch)
    batches = training_batches(x, y, batch_size, seed, first_epoch, epochs)
    return batches.skip(skipped).take(last_step - first_step)
