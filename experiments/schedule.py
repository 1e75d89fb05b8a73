"""A run's learning-rate schedule section, resolved from the experiment's settings and checked.

Pure Python; the formulas and the Keras objects are in training/schedules.py.
"""

from __future__ import annotations

from experiments.config import ConfigError, ExperimentConfig

DEFAULT_DECAY_RATE = 0.5
DEFAULT_PATIENCE = 5

# Which settings each schedule takes.
HAS_RATE = ("step", "exponential", "inverse_time", "plateau")
HAS_DECAY_EPOCHS = ("step", "exponential", "inverse_time", "cosine")
MULTIPLIES = ("step", "exponential", "plateau")  # decay_rate must be below 1


def resolve_schedule(config: ExperimentConfig) -> dict:
    """The schedule as a run's config records it: its name and every setting it uses.

    Raises ConfigError naming the flag for a setting the schedule does not take
    or a value it cannot use.
    """
    name = config.lr_schedule
    given = {"lr_decay_rate": config.lr_decay_rate, "lr_decay_epochs": config.lr_decay_epochs,
             "lr_patience": config.lr_patience}
    takes = {"lr_decay_rate": name in HAS_RATE, "lr_decay_epochs": name in HAS_DECAY_EPOCHS,
             "lr_patience": name == "plateau"}
    for flag, value in given.items():
        if value is not None and not takes[flag]:
            raise ConfigError(f"--{flag} does not apply to --lr_schedule {name}")
    schedule = {"name": name}
    if name in HAS_RATE:
        schedule["decay_rate"] = _decay_rate(name, config.lr_decay_rate)
    if name in HAS_DECAY_EPOCHS:
        rest = config.epochs - config.warmup_epochs
        schedule["decay_epochs"] = config.lr_decay_epochs or (rest if name == "cosine" else 1)
    if name == "plateau":
        if config.warmup_epochs:
            raise ConfigError("--warmup_epochs does not apply to --lr_schedule plateau")
        schedule["patience"] = config.lr_patience or DEFAULT_PATIENCE
        return schedule
    if config.warmup_epochs >= config.epochs:
        raise ConfigError(f"--warmup_epochs {config.warmup_epochs} must be fewer than "
                          f"--epochs {config.epochs}")
    schedule["warmup_epochs"] = config.warmup_epochs
    return schedule


def _decay_rate(name: str, rate: float | None) -> float:
    rate = DEFAULT_DECAY_RATE if rate is None else rate
    if name in MULTIPLIES and rate >= 1:
        raise ConfigError(f"--lr_decay_rate must be below 1 for --lr_schedule {name} "
                          f"(it multiplies the learning rate), got {rate!r}")
    return rate
