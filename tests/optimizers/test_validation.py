"""Invalid hyperparameters raise ValueError naming the value received."""

import re

import pytest

import optimizers

# For each hyperparameter, values that must be refused.
INVALID = {
    "learning_rate": [0.0, -0.1, float("nan"), float("inf"), "0.1", True, None],
    # 1 - 1e-9 rounds to 1.0 in float32.
    "momentum": [-0.1, 1.0, 1.5, 1 - 1e-9, "0.9", None],
    "nesterov": ["true", 1, None],
    "beta_1": [1.0, -0.1, 1 - 1e-9, "0.9"],
    "beta_2": [1.0, 2.0, 1 - 2**-25, -1e-3],
    "rho": [1.0, -0.5, 1 - 1e-9, None],
    "epsilon": [-1e-7, float("nan"), "1e-7", None],
    "initial_accumulator_value": [-0.1, float("inf"), [0.1]],
    "amsgrad": ["yes", 1, None],
    "centered": [1, "False"],
    "weight_decay": [-0.01, float("nan"), "0.01"],
    # adamax, ftrl, lion, lamb, adafactor, muon, schedule_free_adamw
    "learning_rate_power": [0.5, float("-inf"), "-0.5", None],
    "l1_regularization_strength": [-0.1, float("nan"), "0"],
    "l2_regularization_strength": [-0.1, float("inf")],
    "l2_shrinkage_regularization_strength": [-1.0, None],
    "beta": [-0.5, "0"],
    "beta_2_decay": [0.5, float("nan"), "-0.8"],
    "epsilon_1": [-1e-30, None],
    "epsilon_2": [-1e-3, float("inf")],
    "clip_threshold": [0.0, -1.0, None],
    "relative_step": [1, "True", None],
    "adam_beta_1": [1.0, -0.1],
    "adam_beta_2": [1.0, "0.999"],
    "adam_weight_decay": [-0.1, float("nan")],
    "exclude_layers": ["dense", ["("], [3]],
    "exclude_embeddings": [0, "yes"],
    "muon_a": [float("nan"), "3.4", None],
    "muon_b": [float("inf")],
    "muon_c": [float("-inf")],
    "adam_lr_ratio": [0, -1.0, None],
    "ns_steps": [-1, 2.5, True, None],
    "rms_rate": [0.0, -0.2, "0.2"],
    "warmup_steps": [-1, 1.5, False],
}
# Where one optimizer's range differs: as in Keras, Lion's beta_1 and Schedule-Free
# AdamW's (a divisor) lie in (0, 1], so 1.0 is valid and 0.0 is not.
OWN_INVALID = {
    ("lion", "beta_1"): [0.0, 1.5, -0.1, "0.9"],
    ("schedule_free_adamw", "beta_1"): [0.0, 1.5, -0.1, "0.9"],
}

CASES = [
    pytest.param(name, argument, value, id=f"{name}-{argument}={value!r}")
    for name in optimizers.REGISTERED
    for argument in optimizers.hyperparameters(name)
    for value in OWN_INVALID.get((name, argument), INVALID[argument])
]


@pytest.mark.parametrize(("name", "argument", "value"), CASES)
def test_invalid_value_is_refused_by_name_and_value(name, argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        optimizers.get(name, **{argument: value})


def test_every_hyperparameter_has_invalid_cases():
    names = {
        argument for name in optimizers.REGISTERED for argument in optimizers.hyperparameters(name)
    }
    assert names == set(INVALID)


def test_adamw_needs_a_weight_decay():
    with pytest.raises(ValueError, match=re.escape("Received: weight_decay=None")):
        optimizers.AdamW(weight_decay=None)


def test_message_says_what_is_allowed():
    with pytest.raises(ValueError, match=re.escape("`beta_1` must be a float in [0, 1), at most")):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="`learning_rate` must be a positive finite float"):
        optimizers.SGD(learning_rate=0)


def test_boundary_and_integer_values_are_accepted():
    optimizer = optimizers.Adam(learning_rate=1, beta_1=0, beta_2=0.0, epsilon=0, weight_decay=0)
    assert (optimizer.beta_1, optimizer.epsilon, optimizer.weight_decay) == (0.0, 0.0, 0.0)
    assert isinstance(optimizer.beta_1, float)
    assert optimizers.Momentum(momentum=0).momentum == 0.0
    assert optimizers.RMSProp(rho=0.0, momentum=0.99).rho == 0.0
    # The largest value float32 holds below 1 is accepted.
    assert optimizers.Adam(beta_2=1 - 2**-24).beta_2 == 1 - 2**-24


def test_keras_base_checks_still_apply():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.SGD(momentum=0.9)
