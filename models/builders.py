"""The built-in networks.

Batch normalisation uses momentum 0.9 rather than Keras's 0.99: with 0.99 the
moving statistics need several hundred steps to catch up, and validation
accuracy after a short first epoch is far below training accuracy (about 21%
against 90%, seen on a 123-step epoch), which would make short benchmark runs
misleading.
"""

from __future__ import annotations

import keras
from keras import layers

BATCH_NORM_MOMENTUM = 0.9


def conv_block(x, filters: int, initializer: str):
    """3x3 convolution (no bias: batch normalisation supplies it) -> BN -> ReLU."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=initializer)(x)
    x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM)(x)
    return layers.Activation("relu")(x)


def classifier_head(x, units: int, num_classes: int, initializer: str, dropout: float):
    """Dense -> BN -> ReLU -> dropout -> softmax."""
    x = layers.Dense(units, use_bias=False, kernel_initializer=initializer)(x)
    x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM)(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(num_classes, activation="softmax", dtype="float32")(x)


def build_mlp(input_shape, num_classes: int, initializer: str) -> keras.Model:
    """Two hidden layers of 256 and 128 ReLU units with dropout."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    for units in (256, 128):
        x = layers.Dense(units, activation="relu", kernel_initializer=initializer)(x)
        x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="mlp")


def build_cnn(input_shape, num_classes: int, initializer: str) -> keras.Model:
    """A small convnet for 28x28 images: two conv-BN-pool stages and a dense head.

    About 0.42M parameters and 4M multiply-adds per image: kept small because a
    CPU epoch of a wider network costs several times more for a fraction of a
    percent of MNIST accuracy.
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (32, 64):
        x = conv_block(x, filters, initializer)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    outputs = classifier_head(x, 128, num_classes, initializer, dropout=0.5)
    return keras.Model(inputs, outputs, name="cnn")


def build_cifar_cnn(input_shape, num_classes: int, initializer: str) -> keras.Model:
    """VGG-style network for 32x32 colour images.

    Three stages of two 3x3 conv-BN-ReLU layers (32, 64, 128 filters), each
    followed by max pooling and dropout rising from 0.2 to 0.4, then global
    average pooling and a dense head.
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters, dropout in ((32, 0.2), (64, 0.3), (128, 0.4)):
        x = conv_block(x, filters, initializer)
        x = conv_block(x, filters, initializer)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(dropout)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = classifier_head(x, 128, num_classes, initializer, dropout=0.5)
    return keras.Model(inputs, outputs, name="cifar_cnn")
