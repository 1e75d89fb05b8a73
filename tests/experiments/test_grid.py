"""Grids: YAML lists and --lr_sweep expand into exactly the expected runs (planned, not trained)."""

import itertools
import json
import math
from pathlib import Path

import pytest

import train_model
from experiments.config import ConfigError, load_yaml, parse_lr_sweep
from experiments.plan import plan_experiment


def plan(tiny_mnist, tmp_path, *flags, yaml_text=None):
    if yaml_text is not None:
        path = tmp_path / "grid.yaml"
        path.write_text(yaml_text)
        flags = ["--config", str(path), *flags]
    config = train_model.parse_config([*flags, "--data_dir", str(tiny_mnist),
                                       "--output_dir", str(tmp_path / "results"),
                                       "--experiment", "grid"])
    return plan_experiment(config)


def folders(specs):
    return [Path(spec["folder"]) for spec in specs]


LEGACY_GRID = ("optimizer: [sgd, adam]\nlearning_rate: [0.1, 1e-3]\nseed: [0, 1]\n"
               "model: mlp\nepochs: 2\n")
SECTIONED_GRID = """
model: {name: mlp}
execution: {epochs: 2}
grid:
  optimizer: {name: [sgd, adam], learning_rate: [0.1, 1e-3]}
  execution: {seed: [0, 1]}
"""


@pytest.mark.parametrize("text", [LEGACY_GRID, SECTIONED_GRID], ids=["flat", "sectioned"])
def test_a_yaml_grid_plans_every_combination_once(tiny_mnist, tmp_path, text):
    specs = plan(tiny_mnist, tmp_path, yaml_text=text).specs
    expected = [(optimizer, rate, seed) for optimizer, rate, seed
                in itertools.product(["sgd", "adam"], [0.1, 0.001], [0, 1])]
    configs = [spec["config"] for spec in specs]
    assert [(config["optimizer"]["name"], config["optimizer"]["learning_rate"],
             config["execution"]["seed"]) for config in configs] == expected
    assert [folder.name for folder in folders(specs)] == [
        f"{optimizer}_lr{rate:g}_seed{seed}" for optimizer, rate, seed in expected]
    assert all(folder.parent.name == "grid" for folder in folders(specs))
    assert {config["execution"]["epochs"] for config in configs} == {2}
    assert {config["model"]["name"] for config in configs} == {"mlp"}
    # A spec is plain JSON: a fresh process can run it from its text alone.
    assert json.loads(json.dumps(specs)) == specs


def test_registered_selects_every_registered_optimizer_and_all_the_seven(tiny_mnist, tmp_path):
    import optimizers

    every = plan(tiny_mnist, tmp_path, "--optimizer", "registered").specs
    names = [spec["config"]["optimizer"]["name"] for spec in every]
    assert names == list(optimizers.REGISTERED) and len(names) == 16
    mission = plan(tiny_mnist, tmp_path, "--optimizer", "all").specs
    assert [spec["config"]["optimizer"]["name"] for spec in mission] == [
        "sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam"]


def test_a_list_in_a_section_is_a_value_not_an_axis(tiny_mnist, tmp_path):
    text = ("optimizer: {name: adam, learning_rate: 0.01, beta_1: 0.8}\n"
            "grid: {optimizer: {beta_2: [0.99, 0.999]}}\nmodel: {name: mlp}\n")
    specs = plan(tiny_mnist, tmp_path, yaml_text=text).specs
    assert [spec["config"]["optimizer"]["beta_2"] for spec in specs] == [0.99, 0.999]
    assert {spec["config"]["optimizer"]["beta_1"] for spec in specs} == {0.8}
    config = train_model.parse_config(["--config", str(tmp_path / "grid.yaml")])
    assert config.grid == {"beta_2": (0.99, 0.999)}
    # A list-valued hyperparameter stays one value of one run (checked by the optimizer).
    path = tmp_path / "list.yaml"
    path.write_text("optimizer: {name: adam, beta_1: [0.8, 0.9]}\n")
    assert load_yaml(str(path))["optimizer_config"] == {"beta_1": [0.8, 0.9]}


def test_batch_sizes_and_hyperparameter_lists_are_axes_named_in_the_folders(tiny_mnist,
                                                                             tmp_path):
    text = ("optimizer: [sgd, momentum]\nbatch_size: [16, full]\n"
            "optimizer_config: {momentum: [0.5, 0.9]}\n")
    specs = plan(tiny_mnist, tmp_path, yaml_text=text).specs
    # sgd has no momentum: it runs once per batch size; momentum once per value and size.
    assert [folder.name for folder in folders(specs)] == [
        "sgd_lr0.01_bs16_seed0", "sgd_lr0.01_bsfull_seed0",
        "momentum_lr0.01_bs16_momentum0.5_seed0", "momentum_lr0.01_bsfull_momentum0.5_seed0",
        "momentum_lr0.01_bs16_momentum0.9_seed0", "momentum_lr0.01_bsfull_momentum0.9_seed0",
    ]
    configs = [spec["config"] for spec in specs]
    assert [config["execution"]["batch_size"] for config in configs] == [16, "full"] * 3
    assert [config["optimizer"].get("momentum") for config in configs] == [
        None, None, 0.5, 0.5, 0.9, 0.9]


def test_lr_sweep_gives_log_spaced_rates_for_each_optimizer(tiny_mnist, tmp_path):
    specs = plan(tiny_mnist, tmp_path, "--optimizer", "sgd,adam", "--lr_sweep",
                 "1e-4:1e-1:4").specs
    rates = [spec["config"]["optimizer"]["learning_rate"] for spec in specs]
    assert rates == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1] * 2, rel=1e-12)
    assert [spec["config"]["optimizer"]["name"] for spec in specs] == ["sgd"] * 4 + ["adam"] * 4


def test_lr_sweep_values():
    # Both ends exact; between them 10 ** (evenly spaced exponents), to 4 significant digits.
    exponents = [-4 + 3 * index / 4 for index in range(5)]
    assert parse_lr_sweep("1e-4:1e-1:5") == tuple(
        float(f"{10 ** exponent:.4g}") for exponent in exponents)
    assert parse_lr_sweep("0.001:0.1:3")[1] == pytest.approx(0.01)
    assert parse_lr_sweep("1e-4:1e-1:3") == (1e-4, 0.003162, 0.1)
    assert math.isclose(parse_lr_sweep("2:8:2")[1], 8)


@pytest.mark.parametrize("spec", ["1e-1:1e-4:4", "1e-4:1e-1", "1e-4:1e-1:1", "0:1:3",
                                  "a:b:3", "1e-4:1e-1:2.5", "1e-4:1e-1:4:5"])
def test_malformed_lr_sweeps_are_refused(spec):
    with pytest.raises(ConfigError, match="--lr_sweep must be LOW:HIGH:N with 0 < LOW < HIGH"):
        train_model.parse_config(["--lr_sweep", spec])


def test_yaml_lr_sweep_and_nested_schedule(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("lr_sweep: 1e-3:1e-1:3\nlr_schedule: {name: step, decay_epochs: 2}\n")
    assert load_yaml(str(path)) == {"learning_rate": (0.001, 0.01, 0.1),
                                    "lr_schedule": "step", "lr_decay_epochs": 2}
    path.write_text("lr_sweep: 1e-3:1e-1:3\nlearning_rate: 0.1\n")
    with pytest.raises(ConfigError, match="key 'lr_sweep' cannot be combined with learning_rate"):
        load_yaml(str(path))


def test_values_giving_one_folder_twice_are_refused(tiny_mnist, tmp_path):
    with pytest.raises(ConfigError, match="would share the folder adam_lr0.001_seed0"):
        plan(tiny_mnist, tmp_path, "--learning_rate", "0.001,0.0010000001")
    assert not (tmp_path / "results").exists(), "nothing may be written"


def test_an_experiment_started_before_the_new_settings_resumes(tiny_mnist, tmp_path):
    # A schema 1 history, written before lr_schedule, l2, dropout... were recorded, ran
    # with their defaults: resuming it is allowed, and resuming it with other settings is not.
    (spec,) = plan(tiny_mnist, tmp_path, "--model", "mlp").specs
    config = spec["config"]
    old = {"dataset": "mnist", "model": "mlp", "optimizer": "adam",
           "optimizer_config": {key: value for key, value in config["optimizer"].items()
                                if key != "name"},
           "epochs": 50, "batch_size": 64, "seed": 0, "subset": None,
           "validation_split": 0.1, "init": "he", "divergence_threshold": None,
           "data_dir": str(tiny_mnist)}
    environment = dict.fromkeys(("python", "tensorflow", "keras", "device", "git_commit"))
    history = {"schema_version": 1, "status": "interrupted", "config": old,
               "environment": environment, "test": None, "wall_time_s": 0.0,
               "diverged_at_epoch": None,
               "history": {key: [] for key in ("epoch", "loss", "accuracy", "val_loss",
                                               "val_accuracy", "lr", "epoch_time_s")}}
    folder = Path(spec["folder"])
    folder.mkdir(parents=True)
    (folder / "history.json").write_text(json.dumps(history))
    resumed = plan(tiny_mnist, tmp_path, "--model", "mlp", "--resume").specs
    assert resumed[0]["folder"] == spec["folder"]
    with pytest.raises(ConfigError, match="was started with model.l2=0.0, not 0.01"):
        plan(tiny_mnist, tmp_path, "--model", "mlp", "--resume", "--l2", "0.01")


@pytest.mark.parametrize("text, message", [
    ("execution: {seed: [0, 1]}\n", "execution.seed takes one value; for several, write them "
                                     "under grid:"),
    ("grid: {model: {dropout: [0.1, 0.2]}}\n", "grid.model.dropout cannot be a grid axis"),
    ("problem: {datset: mnist}\n", "problem.datset: unknown key; valid keys: dataset"),
    ("training: {epochs: 2}\n", "unknown section 'training'"),
    ("epochs: 2\ngrid: {execution: {seed: [0, 1]}}\n",
     "'epochs' outside a section: in a file with sections write it as execution.epochs"),
    ("execution: {epochs: 0}\n", "key 'execution.epochs' must be a positive integer, got 0"),
    ("optimizer: {beta_2: 0.9}\ngrid: {optimizer: {beta_2: [0.9]}}\n",
     "optimizer.beta_2 is given both as a value and under grid:"),
    ("grid: {execution: {seed: 3}}\n", "grid.execution.seed must be a non-empty list"),
])
def test_bad_sectioned_files_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_yaml(str(path))
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
