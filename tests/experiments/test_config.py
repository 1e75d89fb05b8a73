"""The configuration layer: precedence, normalisation, checks, flag parsing (no TensorFlow)."""

import pytest

import train_model
from experiments.config import ConfigError, ExperimentConfig, check_values, load_yaml, resolve


def write(tmp_path, text, name="experiment.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_defaults_match_the_documented_cli():
    config = ExperimentConfig()
    assert (config.optimizer, config.epochs, config.batch_size) == (("adam",), 50, (64,))
    assert (config.seed, config.validation_split, config.learning_rate) == ((0,), 0.1, None)


def test_flags_override_yaml_which_overrides_defaults(tmp_path):
    text = "epochs: 7\nbatch_size: 32\noptimizer_config: {beta_2: 0.99, amsgrad: true}\n"
    path = write(tmp_path, text)
    config = train_model.parse_config(["--config", path, "--epochs", "3", "--beta_2", "0.95"])
    assert config.epochs == 3  # flag beats YAML
    assert config.batch_size == (32,)  # YAML beats default
    assert config.validation_split == 0.1  # default kept
    assert config.optimizer_config == {"beta_2": 0.95, "amsgrad": True}  # merged key by key


def test_scalar_spellings_become_lists(tmp_path):
    path = write(tmp_path, "optimizer: adam\nseed: 3\n")
    assert load_yaml(path) == {"optimizer": ("adam",), "seed": (3,)}
    config = train_model.parse_config(["--optimizer", "sgd, adam", "--seed", "0,1,2"])
    assert config.optimizer == ("sgd", "adam")
    assert config.seed == (0, 1, 2)


def test_hyphenated_aliases_are_accepted():
    config = train_model.parse_config(["--batch-size", "16", "--validation-split", "0.2"])
    assert (config.batch_size, config.validation_split) == ((16,), 0.2)


@pytest.mark.parametrize(
    "tokens, expected",
    [
        (["--momentum", "0.95"], {"momentum": 0.95}),
        (["--beta_2=0.99"], {"beta_2": 0.99}),
        (["--amsgrad"], {"amsgrad": True}),
        (["--nesterov", "false", "--rho", "1e-1"], {"nesterov": False, "rho": 0.1}),
        (["--weight-decay", "3"], {"weight_decay": 3}),
    ],
)
def test_optimizer_hyperparameters_from_flags(tokens, expected):
    assert train_model.parse_hyperparameters(tokens) == expected


@pytest.mark.parametrize(
    "values, message",
    [
        ({"epochs": 0}, "key 'epochs' must be a positive integer, got 0"),
        ({"epochs": True}, "key 'epochs' must be a positive integer, got True"),
        ({"batch_size": 2.5}, "key 'batch_size' must be a positive integer"),
        ({"learning_rate": -0.1}, "key 'learning_rate' must be a number > 0, got -0.1"),
        ({"validation_split": 1}, "key 'validation_split' must be a number in (0, 1), got 1.0"),
        ({"seed": [0, -1]}, "key 'seed' must be a non-negative integer"),
        ({"optimizer": []}, "key 'optimizer' must be a name or a non-empty list"),
        ({"device": "tpu"}, "key 'device' must be one of auto, cpu, gpu, got 'tpu'"),
        ({"optimizer_config": {"beta_1": {"a": 1}}}, "entry 'beta_1' must map a name to a number"),
        ({"optimizer_config": {"beta_1": [[0.9]]}}, "entry 'beta_1' must map a name to a number"),
        ({"learning_rat": 0.1}, "key 'learning_rat': unknown key; valid keys: batch_norm"),
        ({"learning_rate": []}, "key 'learning_rate' must be a value or a non-empty list"),
        ({"learning_rate": [0.1, -1]}, "key 'learning_rate' must be a number > 0, got -1.0"),
        ({"batch_size": [32, "half"]}, "key 'batch_size' must be a positive integer or 'full'"),
        ({"lr_schedule": "linear"}, "key 'lr_schedule' must be one of constant, step"),
        ({"lr_schedule": {"name": "step", "rate": 0.5}}, "key 'lr_schedule': unknown key 'rate'"),
        ({"early_stopping": 2.5}, "key 'early_stopping' must be a positive integer, got 2.5"),
        ({"dropout": -0.1}, "key 'dropout' must be a number in [0, 1), got -0.1"),
        ({"batch_norm": "no"}, "key 'batch_norm' must be true or false, got 'no'"),
        ({"l2": "a lot"}, "key 'l2' must be a number >= 0, got 'a lot'"),
        ({"target": 0}, "key 'target' must be a number in (0, 1], got 0.0"),
        ({"lr_sweep": "1e-4:1e-1"}, "key 'lr_sweep' must be LOW:HIGH:N"),
        # The flat spelling of a learning rate inside optimizer_config is checked the same way.
        ({"optimizer_config": {"learning_rate": 0}}, "key 'learning_rate' must be a number > 0"),
        ({"optimizer_config": {"learning_rate": [0.01, -0.1]}},
         "key 'learning_rate' must be a number > 0, got -0.1"),
        ({"learning_rate": 0.1, "optimizer_config": {"learning_rate": 0.2}},
         "key 'learning_rate' is given twice"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path, values, message):
    with pytest.raises(ConfigError) as caught:
        check_values(values, lambda key: f"exp.yaml: key {key!r}")
    assert message in str(caught.value)
    assert str(caught.value).startswith("exp.yaml: key")


@pytest.mark.parametrize(
    "text, message",
    [
        ("epochs: [1\n", "not valid YAML (line 2)"),
        ("- adam\n- sgd\n", "expected a mapping of config keys, got list"),
        ("epochs: ten\n", "key 'epochs' must be a positive integer, got 'ten'"),
    ],
)
def test_malformed_yaml_files(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    assert str(caught.value).startswith(path)
    assert message in str(caught.value)


def test_missing_yaml_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file .*missing.yaml"):
        load_yaml(str(tmp_path / "missing.yaml"))


def test_empty_yaml_means_defaults(tmp_path):
    assert resolve(load_yaml(write(tmp_path, "")), {}) == ExperimentConfig()


def test_every_shipped_config_file_loads():
    from pathlib import Path

    files = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))
    assert {path.name for path in files} >= {
        "mnist_cnn.yaml", "fashion_mnist_cnn.yaml", "cifar10_cnn.yaml",
        "compare_all.yaml", "smoke.yaml", "lr_sweep.yaml",
    }
    for path in files:
        resolve(load_yaml(str(path)), {})


def test_yaml_reads_numbers_written_without_a_dot(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e-3 as a string; experiment files mean the number.
    path = write(tmp_path, "learning_rate: [1e-3, 5E-2, 1.0e-4]\nl2: 1e-5\nexperiment: 1e3x\n")
    assert load_yaml(path) == {"learning_rate": (0.001, 0.05, 0.0001), "l2": 1e-05,
                               "experiment": "1e3x"}


def test_grid_values_and_flags(tmp_path):
    path = write(tmp_path, "learning_rate: [0.1, 0.01, 0.1]\nbatch_size: [full, 32]\n")
    assert load_yaml(path) == {"learning_rate": (0.1, 0.01), "batch_size": ("full", 32)}
    config = train_model.parse_config(["--learning_rate", "0.1,0.01", "--batch_size", "full,8",
                                       "--batch_norm", "false", "--early-stopping", "3"])
    assert (config.learning_rate, config.batch_size) == ((0.1, 0.01), ("full", 8))
    assert (config.batch_norm, config.early_stopping) == (False, 3)


FLAT = """dataset: mnist
model: cnn
optimizer: all
lr_sweep: 1e-3:1e-1:3
seed: [0, 1]
epochs: 2
subset: 4000
optimizer_config: {momentum: [0.5, 0.9], nesterov: true}
lr_schedule: {name: step, decay_epochs: 2}
quiet: true
experiment: sweep
"""
SECTIONED = """problem: {dataset: mnist, subset: 4000}
model: {name: cnn}
optimizer: {name: all, nesterov: true}
schedule: {name: step, decay_epochs: 2}
execution: {epochs: 2}
experiment: {name: sweep, quiet: true}
grid:
  optimizer: {learning_rate: [0.001, 0.01, 0.1], momentum: [0.5, 0.9]}
  execution: {seed: [0, 1]}
"""


def test_a_flat_file_of_the_first_release_means_what_its_sectioned_form_means(tmp_path):
    flat = resolve(load_yaml(write(tmp_path, FLAT, "flat.yaml")), {})
    sectioned = resolve(load_yaml(write(tmp_path, SECTIONED, "sectioned.yaml")), {})
    assert flat == sectioned
    assert sectioned.grid == {"momentum": (0.5, 0.9)}
    assert sectioned.optimizer_config == {"nesterov": True}
    assert (sectioned.seed, sectioned.learning_rate) == ((0, 1), (0.001, 0.01, 0.1))
    assert (sectioned.lr_schedule, sectioned.lr_decay_epochs) == ("step", 2)
    assert (sectioned.experiment, sectioned.quiet) == ("sweep", True)


def test_a_flag_replaces_an_axis_of_the_file(tmp_path):
    path = write(tmp_path, SECTIONED)
    config = train_model.parse_config(["--config", path, "--momentum", "0.7"])
    assert config.grid == {} and config.optimizer_config["momentum"] == 0.7
