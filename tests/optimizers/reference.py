"""Float64 NumPy references for the optimizers, written from their docstrings.

Each function takes one initial array and a sequence of gradients for it and
returns the array after all the steps. They share no code with the
`optimizers` package, use the textbook form of each rule (for example
`beta * m + (1 - beta) * g`, not the package's `m + (g - m) * (1 - beta)`),
and apply Keras's decoupled weight decay,
`variable = variable - variable * weight_decay * learning_rate`, before each
step (`weight_decay=None` is no decay). Adam and Nadam take `first_step`, the
step number `t` of their first gradient (1 for a fresh optimizer).

`BY_NAME` maps each registry name to its reference (Nesterov is `momentum`
with `nesterov=True`, AdamW is `adam` with a weight decay); every function
accepts all of its optimizer's hyperparameters by name.
"""

import numpy as np


def _decay(variable, learning_rate, weight_decay):
    if weight_decay is None:
        return variable
    return variable - variable * weight_decay * learning_rate


def sgd(variable, gradients, learning_rate, weight_decay=None):
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        variable = variable - learning_rate * gradient
    return variable


def momentum(variable, gradients, learning_rate, momentum, nesterov, weight_decay=None):
    velocity = np.zeros_like(variable)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        velocity = momentum * velocity - learning_rate * gradient
        if nesterov:
            variable = variable + momentum * velocity - learning_rate * gradient
        else:
            variable = variable + velocity
    return variable


def adagrad(
    variable, gradients, learning_rate, initial_accumulator_value, epsilon, weight_decay=None
):
    accumulator = np.full_like(variable, initial_accumulator_value)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        accumulator = accumulator + gradient**2
        variable = variable - learning_rate * gradient / np.sqrt(accumulator + epsilon)
    return variable


def adadelta(variable, gradients, learning_rate, rho, epsilon, weight_decay=None):
    mean_square_gradient = np.zeros_like(variable)
    mean_square_delta = np.zeros_like(variable)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        mean_square_gradient = rho * mean_square_gradient + (1 - rho) * gradient**2
        delta = -np.sqrt(mean_square_delta + epsilon) / np.sqrt(mean_square_gradient + epsilon)
        delta = delta * gradient
        mean_square_delta = rho * mean_square_delta + (1 - rho) * delta**2
        variable = variable + learning_rate * delta
    return variable


def rmsprop(
    variable, gradients, learning_rate, rho, momentum, epsilon, centered, weight_decay=None
):
    mean_square = np.zeros_like(variable)
    mean = np.zeros_like(variable)
    velocity = np.zeros_like(variable)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        mean_square = rho * mean_square + (1 - rho) * gradient**2
        mean = rho * mean + (1 - rho) * gradient
        variance = mean_square - mean**2 if centered else mean_square
        increment = learning_rate * gradient / np.sqrt(variance + epsilon)
        velocity = momentum * velocity + increment
        variable = variable - velocity
    return variable


def adam(
    variable,
    gradients,
    learning_rate,
    beta_1,
    beta_2,
    epsilon,
    amsgrad,
    weight_decay=None,
    first_step=1,
):
    m = np.zeros_like(variable)
    v = np.zeros_like(variable)
    v_max = np.zeros_like(variable)
    for t, gradient in enumerate(gradients, start=first_step):
        variable = _decay(variable, learning_rate, weight_decay)
        m = beta_1 * m + (1 - beta_1) * gradient
        v = beta_2 * v + (1 - beta_2) * gradient**2
        v_max = np.maximum(v_max, v)
        alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        variable = variable - alpha * m / (np.sqrt(v_max if amsgrad else v) + epsilon)
    return variable


def nadam(
    variable, gradients, learning_rate, beta_1, beta_2, epsilon, weight_decay=None, first_step=1
):
    def mu(step):
        return beta_1 * (1 - 0.5 * 0.96**step)

    m = np.zeros_like(variable)
    v = np.zeros_like(variable)
    product = 1.0  # mu(first_step) * ... * mu(t)
    for t, gradient in enumerate(gradients, start=first_step):
        variable = _decay(variable, learning_rate, weight_decay)
        product = product * mu(t)
        m = beta_1 * m + (1 - beta_1) * gradient
        v = beta_2 * v + (1 - beta_2) * gradient**2
        m_hat = mu(t + 1) * m / (1 - product * mu(t + 1)) + (1 - mu(t)) * gradient / (1 - product)
        v_hat = v / (1 - beta_2**t)
        variable = variable - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return variable


BY_NAME = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": momentum,
    "adagrad": adagrad,
    "adadelta": adadelta,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adam,
    "nadam": nadam,
}
