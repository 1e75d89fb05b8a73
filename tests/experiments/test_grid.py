"""Grids: YAML lists and --lr_sweep expand into exactly the expected runs (planned, not trained)."""

import itertools
import math

import pytest

import train_model
from analysis.history import new_history, write_history
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


def test_a_yaml_grid_plans_every_combination_once(tiny_mnist, tmp_path):
    text = ("optimizer: [sgd, adam]\nlearning_rate: [0.1, 1e-3]\nseed: [0, 1]\n"
            "model: mlp\nepochs: 2\n")
    runs = plan(tiny_mnist, tmp_path, yaml_text=text).runs
    expected = [(optimizer, rate, seed) for optimizer, rate, seed
                in itertools.product(["sgd", "adam"], [0.1, 0.001], [0, 1])]
    assert [(run.config["optimizer"], run.config["optimizer_config"]["learning_rate"],
             run.config["seed"]) for run in runs] == expected
    assert [run.folder.name for run in runs] == [
        f"{optimizer}_lr{rate:g}_seed{seed}" for optimizer, rate, seed in expected]
    assert all(run.folder.parent.name == "grid" for run in runs)
    assert {run.config["epochs"] for run in runs} == {2}


def test_batch_sizes_and_hyperparameter_lists_are_axes_named_in_the_folders(tiny_mnist,
                                                                             tmp_path):
    text = ("optimizer: [sgd, momentum]\nbatch_size: [16, full]\n"
            "optimizer_config: {momentum: [0.5, 0.9]}\n")
    runs = plan(tiny_mnist, tmp_path, yaml_text=text).runs
    # sgd has no momentum: it runs once per batch size; momentum once per value and size.
    assert [run.folder.name for run in runs] == [
        "sgd_lr0.01_bs16_seed0", "sgd_lr0.01_bsfull_seed0",
        "momentum_lr0.01_bs16_momentum0.5_seed0", "momentum_lr0.01_bsfull_momentum0.5_seed0",
        "momentum_lr0.01_bs16_momentum0.9_seed0", "momentum_lr0.01_bsfull_momentum0.9_seed0",
    ]
    assert [run.config["batch_size"] for run in runs] == [16, "full"] * 3
    assert [run.config["optimizer_config"].get("momentum") for run in runs] == [
        None, None, 0.5, 0.5, 0.9, 0.9]


def test_lr_sweep_gives_log_spaced_rates_for_each_optimizer(tiny_mnist, tmp_path):
    runs = plan(tiny_mnist, tmp_path, "--optimizer", "sgd,adam", "--lr_sweep", "1e-4:1e-1:4").runs
    rates = [run.config["optimizer_config"]["learning_rate"] for run in runs]
    assert rates == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1] * 2, rel=1e-12)
    assert [run.config["optimizer"] for run in runs] == ["sgd"] * 4 + ["adam"] * 4


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
    # A history written before lr_schedule, l2, dropout... were recorded ran with their
    # defaults: resuming it is allowed, and resuming it with other settings is not.
    (run,) = plan(tiny_mnist, tmp_path, "--model", "mlp").runs
    old_keys = ("dataset", "model", "optimizer", "optimizer_config", "epochs", "batch_size",
                "seed", "subset", "validation_split", "init", "divergence_threshold", "data_dir")
    environment = dict.fromkeys(("python", "tensorflow", "keras", "device", "git_commit"))
    history = new_history({key: run.config[key] for key in old_keys}, environment)
    history["status"] = "interrupted"
    run.folder.mkdir(parents=True)
    write_history(run.folder / "history.json", history)
    assert plan(tiny_mnist, tmp_path, "--model", "mlp", "--resume").runs[0].folder == run.folder
    with pytest.raises(ConfigError, match="was started with l2=0.0, not 0.01"):
        plan(tiny_mnist, tmp_path, "--model", "mlp", "--resume", "--l2", "0.01")
