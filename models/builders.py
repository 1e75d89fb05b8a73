"""The built-in networks.

Every builder takes the same options:

- `initializer`: the kernel initialiser's Keras name;
- `dropout`: None keeps each dropout layer's own rate (they differ: 0.25 and
  0.5 in the cnn); a number replaces every dropout rate of the model;
- `batch_norm`: False removes the batch normalisation layers, and the
  convolution and dense layers they followed get their bias back (batch
  normalisation supplies it otherwise); the mlp has none either way;
- `l2`: a `keras.regularizers.L2(l2)` on the kernel of every convolution and
  dense layer, output layer included (no bias, no batch normalisation
  parameter), so the loss gains `l2 * sum(kernel ** 2)` over those kernels.

Batch normalisation uses momentum 0.9 rather than Keras's 0.99: with 0.99 the
moving statistics need several hundred steps to catch up, and validation
accuracy after a short first epoch is far below training accuracy (about 21%
against 90%, seen on a 123-step epoch), which would make short benchmark runs
misleading.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

BATCH_NORM_MOMENTUM = 0.9


@dataclass(frozen=True)
class Options:
    """How to build the layers of any model: initialiser, dropout, batch norm, L2."""

    initializer: str = "he_uniform"
    dropout: float | None = None
    batch_norm: bool = True
    l2: float = 0.0

    def dropout_rate(self, own: float) -> float:
        return own if self.dropout is None else self.dropout

    def kernel(self) -> dict:
        """Keyword arguments of a Conv2D or Dense kernel: initialiser and L2 penalty."""
        regularizer = keras.regularizers.L2(self.l2) if self.l2 > 0 else None
        return {"kernel_initializer": self.initializer, "kernel_regularizer": regularizer}


def normalised(x, layer_type, units, options: Options, **kwargs):
    """Conv2D or Dense (no bias) -> BN -> ReLU; without batch norm, biased layer -> ReLU."""
    x = layer_type(units, use_bias=not options.batch_norm, **options.kernel(), **kwargs)(x)
    if options.batch_norm:
        x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM)(x)
    return layers.Activation("relu")(x)


def conv_block(x, filters: int, options: Options):
    """3x3 convolution -> BN -> ReLU."""
    return normalised(x, layers.Conv2D, filters, options, kernel_size=3, padding="same")


def classifier_head(x, units: int, num_classes: int, options: Options, dropout: float):
    """Dense -> BN -> ReLU -> dropout -> softmax."""
    x = normalised(x, layers.Dense, units, options)
    x = layers.Dropout(options.dropout_rate(dropout))(x)
    return output_layer(x, num_classes, options)


def output_layer(x, num_classes: int, options: Options):
    return layers.Dense(num_classes, activation="softmax", dtype="float32",
                        kernel_regularizer=options.kernel()["kernel_regularizer"])(x)


def build_mlp(input_shape, num_classes: int, options: Options) -> keras.Model:
    """Two hidden layers of 256 and 128 ReLU units with dropout (0.2); no batch norm."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    for units in (256, 128):
        x = layers.Dense(units, activation="relu", **options.kernel())(x)
        x = layers.Dropout(options.dropout_rate(0.2))(x)
    outputs = output_layer(x, num_classes, options)
    return keras.Model(inputs, outputs, name="mlp")


def build_cnn(input_shape, num_classes: int, options: Options) -> keras.Model:
    """A small convnet for 28x28 images: two conv-BN-pool stages and a dense head.

    About 0.42M parameters and 4M multiply-adds per image: kept small because a
    CPU epoch of a wider network costs several times more for a fraction of a
    percent of MNIST accuracy. Dropout 0.25 after the convolutions, 0.5 in the head.
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (32, 64):
        x = conv_block(x, filters, options)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(options.dropout_rate(0.25))(x)
    x = layers.Flatten()(x)
    outputs = classifier_head(x, 128, num_classes, options, dropout=0.5)
    return keras.Model(inputs, outputs, name="cnn")


def build_cifar_cnn(input_shape, num_classes: int, options: Options) -> keras.Model:
    """VGG-style network for 32x32 colour images.

    Three stages of two 3x3 conv-BN-ReLU layers (32, 64, 128 filters), each
    followed by max pooling and dropout rising from 0.2 to 0.4, then global
    average pooling and a dense head (dropout 0.5).
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters, dropout in ((32, 0.2), (64, 0.3), (128, 0.4)):
        x = conv_block(x, filters, options)
        x = conv_block(x, filters, options)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(options.dropout_rate(dropout))(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = classifier_head(x, 128, num_classes, options, dropout=0.5)
    return keras.Model(inputs, outputs, name="cifar_cnn")
