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


def adamax(
    variable, gradients, learning_rate, beta_1, beta_2, epsilon, weight_decay=None, first_step=1
):
    momentum = np.zeros_like(variable)
    norm = np.zeros_like(variable)
    for t, gradient in enumerate(gradients, start=first_step):
        variable = _decay(variable, learning_rate, weight_decay)
        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        norm = np.maximum(beta_2 * norm, np.abs(gradient))
        variable = variable - learning_rate * momentum / ((1 - beta_1**t) * (norm + epsilon))
    return variable


def ftrl(
    variable,
    gradients,
    learning_rate,
    learning_rate_power,
    initial_accumulator_value,
    l1_regularization_strength,
    l2_regularization_strength,
    l2_shrinkage_regularization_strength,
    beta,
    weight_decay=None,
):
    p = -learning_rate_power
    l1 = l1_regularization_strength
    l2 = l2_regularization_strength + beta / (2 * learning_rate)
    accumulator = np.full_like(variable, initial_accumulator_value)
    linear = np.zeros_like(variable)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        shrunk = gradient + 2 * l2_shrinkage_regularization_strength * variable
        new_accumulator = accumulator + gradient**2
        sigma = (new_accumulator**p - accumulator**p) / learning_rate
        linear = linear + shrunk - sigma * variable
        quadratic = new_accumulator**p / learning_rate + 2 * l2
        # No curvature yet (no gradient, no accumulator, no L2): the variable stays.
        solved = (np.clip(linear, -l1, l1) - linear) / np.where(quadratic == 0, 1, quadratic)
        variable = np.where(quadratic == 0, variable, solved)
        accumulator = new_accumulator
    return variable


def lion(variable, gradients, learning_rate, beta_1, beta_2, weight_decay=None):
    momentum = np.zeros_like(variable)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, weight_decay)
        variable = variable - learning_rate * np.sign(beta_1 * momentum + (1 - beta_1) * gradient)
        momentum = beta_2 * momentum + (1 - beta_2) * gradient
    return variable


def _trust_ratio(variable, update):
    variable_norm, update_norm = np.linalg.norm(variable), np.linalg.norm(update)
    return variable_norm / update_norm if variable_norm > 0 and update_norm > 0 else 1.0


def lamb(
    variable, gradients, learning_rate, beta_1, beta_2, epsilon, weight_decay=None, first_step=1
):
    momentum = np.zeros_like(variable)
    velocity = np.zeros_like(variable)
    for t, gradient in enumerate(gradients, start=first_step):
        variable = _decay(variable, learning_rate, weight_decay)
        momentum = beta_1 * momentum + (1 - beta_1) * gradient
        velocity = beta_2 * velocity + (1 - beta_2) * gradient**2
        update = (momentum / (1 - beta_1**t)) / (np.sqrt(velocity / (1 - beta_2**t)) + epsilon)
        variable = variable - _trust_ratio(variable, update) * learning_rate * update
    return variable


def _rms(x):
    return np.sqrt(np.mean(x**2))


def adafactor(
    variable,
    gradients,
    learning_rate,
    beta_2_decay,
    epsilon_1,
    epsilon_2,
    clip_threshold,
    relative_step=True,  # no effect, as in Keras
    weight_decay=None,
    first_step=1,
):
    """Factored for rank >= 2 as the paper's `R C / sum(R)` (sums, not means)."""
    factored = variable.ndim >= 2
    rows = np.zeros(variable.shape[:-1])  # sums over the last axis
    columns = np.zeros(variable.shape[:-2] + variable.shape[-1:])  # sums over the one before
    velocity = np.zeros_like(variable)
    for t, gradient in enumerate(gradients, start=first_step):
        variable = _decay(variable, learning_rate, weight_decay)
        alpha = max(epsilon_2, _rms(variable)) * min(learning_rate, 1 / np.sqrt(t))
        beta_2 = 1 - t**beta_2_decay
        square = gradient**2 + epsilon_1
        if factored:
            rows = beta_2 * rows + (1 - beta_2) * square.sum(axis=-1)
            columns = beta_2 * columns + (1 - beta_2) * square.sum(axis=-2)
            total = rows.sum(axis=-1)[..., None, None]
            velocity = rows[..., :, None] * columns[..., None, :] / total
        else:
            velocity = beta_2 * velocity + (1 - beta_2) * square
        update = gradient / np.sqrt(velocity)
        update = update / max(1.0, _rms(update) / clip_threshold)
        variable = variable - alpha * update
    return variable


def _orthogonalise(direction, steps, a, b, c):
    tall = direction.shape[0] > direction.shape[1]
    x = direction.T if tall else direction
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon(variable, gradients, learning_rate, first_step=1, **hp):
    """Muon's rule for a matrix, AdamW (`adam_*`, `epsilon`) for any other variable."""
    if variable.ndim != 2:
        return adam(
            variable,
            gradients,
            learning_rate * hp["adam_lr_ratio"],
            hp["adam_beta_1"],
            hp["adam_beta_2"],
            hp["epsilon"],
            amsgrad=False,
            # The decay uses the full rate: weight_decay * rate / ratio in the ratio's terms.
            weight_decay=None
            if hp["adam_weight_decay"] is None
            else hp["adam_weight_decay"] / hp["adam_lr_ratio"],
            first_step=first_step,
        )
    momentum = np.zeros_like(variable)
    for gradient in gradients:
        variable = _decay(variable, learning_rate, hp["weight_decay"])
        momentum = hp["momentum"] * momentum + gradient
        direction = gradient + hp["momentum"] * momentum if hp["nesterov"] else momentum
        orthogonal = _orthogonalise(
            direction, hp["ns_steps"], hp["muon_a"], hp["muon_b"], hp["muon_c"]
        )
        scale = 1.0 if hp["rms_rate"] is None else np.sqrt(max(variable.shape)) * hp["rms_rate"]
        variable = variable - learning_rate * orthogonal * scale
    return variable


def schedule_free_adamw(
    variable,
    gradients,
    learning_rate,
    beta_1,
    beta_2,
    epsilon,
    warmup_steps,
    weight_decay=None,
    first_step=1,
):
    """`x` kept explicitly; z and x start at the variable."""
    momentum = variable.copy()  # z
    velocity = np.zeros_like(variable)
    for count, gradient in enumerate(gradients, start=1):
        t = first_step + count - 1
        variable = _decay(variable, learning_rate, weight_decay)
        average = (variable - (1 - beta_1) * momentum) / beta_1  # decay moved y, and so x
        rate = learning_rate * min(t / warmup_steps, 1.0) if warmup_steps else learning_rate
        velocity = beta_2 * velocity + (1 - beta_2) * gradient**2
        denominator = np.sqrt(velocity / (1 - beta_2**t)) + epsilon
        momentum = momentum - rate * gradient / denominator
        average = (1 - 1 / t) * average + (1 / t) * momentum
        variable = (1 - beta_1) * momentum + beta_1 * average
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
    "adamax": adamax,
    "ftrl": ftrl,
    "lion": lion,
    "lamb": lamb,
    "adafactor": adafactor,
    "muon": muon,
    "schedule_free_adamw": schedule_free_adamw,
}
