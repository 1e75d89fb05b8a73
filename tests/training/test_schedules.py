"""Learning-rate schedules: the recorded rates equal the closed-form values, per schedule."""

import math

import keras
import pytest

import train_model
from analysis.history import read_history

TRAIN = 120 - 12  # the tiny set's images less round(0.1 * 120) held out for validation
BATCH = 16
STEPS = math.ceil(TRAIN / BATCH)  # S = 7 updates an epoch
LR = 0.1


def expected_rates(name, epochs, rate=0.5, decay_epochs=1, warmup=0, lr=LR):
    """Each epoch's rate at its last update, from the formulas in Keras's documentation.

    `step` counts updates from 0, so epoch e (from 1) ends with step e * S - 1.
    Warmup rises linearly from 0, lr * step / (W * S); the schedule then runs
    on the steps after the warmup.
    """
    rates = []
    for epoch in range(1, epochs + 1):
        step = epoch * STEPS - 1
        if step < warmup * STEPS:
            rates.append(lr * step / (warmup * STEPS))
            continue
        t, span = step - warmup * STEPS, decay_epochs * STEPS
        rates.append({
            "constant": lr,
            "step": lr * rate ** math.floor(t / span),  # ExponentialDecay(staircase=True)
            "exponential": lr * rate ** (t / span),
            "inverse_time": lr / (1 + rate * t / span),
            "cosine": lr * 0.5 * (1 + math.cos(math.pi * min(t, span) / span)),
        }[name])
    return rates


def run(data_dir, output, *flags):
    argv = ["--data_dir", str(data_dir), "--output_dir", str(output), "--model", "mlp",
            "--optimizer", "sgd", "--learning_rate", str(LR), "--batch_size", str(BATCH),
            "--quiet", "--experiment", "exp", *flags]
    assert train_model.main(argv) == 0
    (path,) = output.glob("exp/*/history.json")
    return read_history(path)


CASES = {
    # id: (flags, epochs, closed-form arguments, the config's lr_schedule)
    "constant-warmup": (["--warmup_epochs", "2"], 4, dict(name="constant", warmup=2),
                        {"name": "constant", "warmup_epochs": 2}),
    "step": (["--lr_schedule", "step", "--lr_decay_epochs", "2"], 5,
             dict(name="step", decay_epochs=2),
             {"name": "step", "decay_rate": 0.5, "decay_epochs": 2, "warmup_epochs": 0}),
    "step-warmup": (["--lr_schedule", "step", "--lr_decay_rate", "0.25", "--warmup_epochs", "1"],
                    4, dict(name="step", rate=0.25, warmup=1),
                    {"name": "step", "decay_rate": 0.25, "decay_epochs": 1, "warmup_epochs": 1}),
    "exponential": (["--lr_schedule", "exponential"], 3, dict(name="exponential"),
                    {"name": "exponential", "decay_rate": 0.5, "decay_epochs": 1,
                     "warmup_epochs": 0}),
    "inverse_time": (["--lr_schedule", "inverse_time", "--lr_decay_rate", "2"], 3,
                     dict(name="inverse_time", rate=2.0),
                     {"name": "inverse_time", "decay_rate": 2.0, "decay_epochs": 1,
                      "warmup_epochs": 0}),
    "cosine": (["--lr_schedule", "cosine"], 4, dict(name="cosine", decay_epochs=4),
               {"name": "cosine", "decay_epochs": 4, "warmup_epochs": 0}),
    "cosine-warmup": (["--lr_schedule", "cosine", "--warmup_epochs", "1"], 4,
                      dict(name="cosine", decay_epochs=3, warmup=1),
                      {"name": "cosine", "decay_epochs": 3, "warmup_epochs": 1}),
}


@pytest.mark.parametrize("case", CASES)
def test_recorded_rates_are_the_closed_form_values(tiny_mnist, tmp_path, case):
    flags, epochs, formula, recorded = CASES[case]
    history = run(tiny_mnist, tmp_path, "--epochs", str(epochs), *flags)
    assert history["status"] == "completed"
    assert history["config"]["schedule"] == recorded
    # float32 arithmetic: 1e-6 relative, and 1e-7 of lr absolute for cosine's 1 + cos(~pi)
    assert history["history"]["lr"] == pytest.approx(expected_rates(epochs=epochs, **formula),
                                                     rel=1e-6, abs=1e-7 * LR)


def test_plateau_multiplies_the_rate_when_val_loss_stalls(noise_mnist, tmp_path):
    patience, factor, epochs = 1, 0.5, 6
    history = run(noise_mnist, tmp_path, "--epochs", str(epochs), "--lr_schedule", "plateau",
                  "--lr_patience", str(patience), "--lr_decay_rate", str(factor))
    assert history["config"]["schedule"] == {"name": "plateau", "decay_rate": factor,
                                                "patience": patience}
    # Keras's rule, from its documentation: an epoch improves on the best val_loss
    # if lower by more than min_delta (1e-4); after `patience` epochs without one,
    # the rate is multiplied by the factor and the count starts again.
    rate, best, wait, expected = LR, math.inf, 0, []
    for val_loss in history["history"]["val_loss"]:
        expected.append(rate)  # the rate this epoch trained with
        if val_loss < best - 1e-4:
            best, wait = val_loss, 0
        else:
            wait += 1
            if wait >= patience:
                rate, wait = rate * factor, 0
    assert len(set(expected)) > 1, "the noise data set should make val_loss stall"
    assert history["history"]["lr"] == pytest.approx(expected, rel=1e-6)


def test_warmup_schedule_serializes_for_keras_saving():
    from training.schedules import WarmUp

    after = keras.optimizers.schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True)
    schedule = WarmUp(0.1, 14, after)
    copy = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert isinstance(copy, WarmUp) and isinstance(copy.after, type(after))
    for step in (0, 7, 13, 14, 20, 21, 40):
        value = float(keras.ops.convert_to_numpy(copy(step)))
        expected = 0.1 * step / 14 if step < 14 else 0.1 * 0.5 ** ((step - 14) // 7)
        assert value == pytest.approx(expected, rel=1e-6)
