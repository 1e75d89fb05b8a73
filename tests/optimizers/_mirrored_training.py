"""Train every optimizer with a Keras built-in under MirroredStrategy on two logical CPUs.

Run by test_distribute.py in a fresh process: logical devices can only be
configured before TensorFlow initialises its devices, once per process.

Each optimizer and its Keras built-in train twin models in one custom loop
(`strategy.run` calls `optimizer.apply` in replica context, the path
`model.fit` takes too, but traced once for all of them instead of once per
model); Nadam, whose extra scalar state is the one replica-sensitive piece,
also trains through `model.fit`. Prints one JSON object with, per run, the
largest difference from the built-in, the replica and iteration counts and
how far the weights moved.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

_CPU = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_CPU, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import optimizers  # noqa: E402

WITH_BUILTIN = [record.name for record in optimizers.RECORDS if record.keras_builtin]
GLOBAL_BATCH = 16
EPOCHS = 2


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((64, 4)).astype("float32"), rng.standard_normal((64, 2)).astype(
        "float32"
    )


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])


def _summary(weights, expected, initial, replicas, optimizer):
    def largest(left, right):
        return float(max(np.abs(a - b).max() for a, b in zip(left, right, strict=True)))

    return {
        "difference": largest(weights, expected),
        "moved": largest(weights, initial),
        "replicas": replicas,
        "iterations": int(optimizer.iterations.numpy()),
    }


def custom_loop(strategy):
    """All optimizers and their built-ins, twin models, one traced training step."""
    with strategy.scope():
        runs = {}
        for name in WITH_BUILTIN:
            for optimizer in (optimizers.get(name), optimizers.builtin(name)):
                model = _model()
                optimizer.build(model.trainable_variables)
                runs.setdefault(name, []).append((model, optimizer))
    initial = _model().get_weights()

    def replica_step(x, y):
        for model, optimizer in (pair for pairs in runs.values() for pair in pairs):
            with tf.GradientTape() as tape:
                per_example = tf.reduce_mean(tf.square(model(x) - y), axis=-1)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=GLOBAL_BATCH)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)

    @tf.function
    def train_step(x, y):
        strategy.run(replica_step, args=(x, y))

    dataset = tf.data.Dataset.from_tensor_slices(_data()).batch(GLOBAL_BATCH)
    for _ in range(EPOCHS):
        for x, y in strategy.experimental_distribute_dataset(dataset):
            train_step(x, y)
    return {
        name: _summary(
            ours.get_weights(), theirs.get_weights(), initial, strategy.num_replicas_in_sync, opt
        )
        for name, ((ours, opt), (theirs, _)) in runs.items()
    }


def fit(strategy, make_optimizer):
    with strategy.scope():
        model = _model()
        model.compile(optimizer=make_optimizer(), loss="mse")
    x, y = _data()
    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    return model


def main():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = custom_loop(strategy)
    ours = fit(strategy, optimizers.Nadam)
    theirs = fit(strategy, lambda: optimizers.builtin("nadam"))
    results["nadam-fit"] = _summary(
        ours.get_weights(),
        theirs.get_weights(),
        _model().get_weights(),
        strategy.num_replicas_in_sync,
        ours.optimizer,
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
