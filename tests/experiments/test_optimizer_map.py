"""Per-layer optimizer maps in experiments: flag, flat and sectioned YAML spell one map;
a map is a value unless under grid:; run configs and folders record it (planned only)."""

import re
from pathlib import Path

import pytest

import train_model
from experiments.config import ConfigError, values_from_run
from experiments.plan import plan_experiment

TEXT = "conv.*=momentum(learning_rate=0.05),dense_1/.*=adam(learning_rate=0)"
# What TEXT resolves to: each group at its own optimizer's defaults (momentum 0.9, ...).
RESOLVED = {
    "conv.*": {"name": "momentum", "learning_rate": 0.05, "momentum": 0.9, "nesterov": False,
               "weight_decay": None},
    "dense_1/.*": {"name": "adam", "learning_rate": 0.0, "beta_1": 0.9, "beta_2": 0.999,
                   "epsilon": 1e-7, "amsgrad": False, "weight_decay": None},
}


def plan(tiny_mnist, tmp_path, *flags, yaml_text=None):
    if yaml_text is not None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        path = tmp_path / "experiment.yaml"
        path.write_text(yaml_text)
        flags = ["--config", str(path), *flags]
    config = train_model.parse_config([*flags, "--data_dir", str(tiny_mnist),
                                       "--output_dir", str(tmp_path / "results"),
                                       "--experiment", "maps"])
    return plan_experiment(config).specs


def test_the_flag_records_the_resolved_map_in_the_optimizer_section(tiny_mnist, tmp_path):
    (spec,) = plan(tiny_mnist, tmp_path, "--optimizer", "sgd", "--learning_rate", "0.1",
                   "--optimizer_map", TEXT)
    section = spec["config"]["optimizer"]
    assert section == {"name": "sgd", "learning_rate": 0.1, "weight_decay": None,
                       "map": RESOLVED}  # the section's own name and rate: the default group
    assert re.fullmatch(r"sgd_lr0\.1_map-momentum-adam_[0-9a-f]{6}_seed0",
                        Path(spec["folder"]).name)


SECTIONED = """
optimizer:
  name: sgd
  learning_rate: 0.1
  map:
    "conv.*": {name: momentum, learning_rate: 0.05}
    "dense_1/.*": {name: adam, learning_rate: 0}
"""


@pytest.mark.parametrize("yaml_text", [
    SECTIONED,
    f"optimizer: sgd\nlearning_rate: 0.1\noptimizer_map: \"{TEXT}\"\n",  # flat spelling
    f"optimizer: {{name: sgd, learning_rate: 0.1, map: \"{TEXT}\"}}\n",
])
def test_yaml_spellings_plan_the_same_run_as_the_flag(tiny_mnist, tmp_path, yaml_text):
    (from_yaml,) = plan(tiny_mnist, tmp_path / "yaml", yaml_text=yaml_text)
    (from_flag,) = plan(tiny_mnist, tmp_path / "flag", "--optimizer", "sgd",
                        "--learning_rate", "0.1", "--optimizer_map", TEXT)
    assert from_yaml["config"] == from_flag["config"]
    assert Path(from_yaml["folder"]).name == Path(from_flag["folder"]).name


GRID = """
optimizer: {name: adam}
grid:
  optimizer:
    map: ["conv.*=sgd", {"conv.*": momentum}, {"conv.*": {name: sgd, learning_rate: 0.1}}]
  execution: {seed: [0, 1]}
"""


def test_maps_under_grid_are_an_axis(tiny_mnist, tmp_path):
    specs = plan(tiny_mnist, tmp_path, yaml_text=GRID)
    maps = [spec["config"]["optimizer"]["map"]["conv.*"] for spec in specs]
    assert [(group["name"], group["learning_rate"]) for group in maps] == [
        ("sgd", 0.01), ("sgd", 0.01), ("momentum", 0.01), ("momentum", 0.01),
        ("sgd", 0.1), ("sgd", 0.1)]
    names = [Path(spec["folder"]).name for spec in specs]
    assert len(set(names)) == 6
    assert all(name.startswith(("adam_lr0.001_map-sgd_", "adam_lr0.001_map-momentum_"))
               for name in names)


def test_null_in_an_axis_of_maps_is_the_run_without_one(tiny_mnist, tmp_path):
    text = "optimizer: {name: adam}\ngrid: {optimizer: {map: [null, \"conv.*=sgd\"]}}\n"
    specs = plan(tiny_mnist, tmp_path, yaml_text=text)
    assert ["map" in spec["config"]["optimizer"] for spec in specs] == [False, True]
    assert Path(specs[0]["folder"]).name == "adam_lr0.001_seed0"
    (spec,) = plan(tiny_mnist, tmp_path / "null", yaml_text="optimizer: {name: adam, map: null}\n")
    assert "map" not in spec["config"]["optimizer"]


def test_a_flag_map_replaces_the_files_map_axis(tiny_mnist, tmp_path):
    specs = plan(tiny_mnist, tmp_path, "--optimizer_map", "dense.*=nadam", yaml_text=GRID)
    assert len(specs) == 2  # the seeds
    assert all(list(spec["config"]["optimizer"]["map"]) == ["dense.*"] for spec in specs)


def test_every_optimizer_of_a_list_is_the_default_group_of_the_same_map(tiny_mnist, tmp_path):
    specs = plan(tiny_mnist, tmp_path, "--optimizer", "all", "--optimizer_map", "conv.*=sgd")
    assert len(specs) == 7
    assert {spec["config"]["optimizer"]["map"]["conv.*"]["name"] for spec in specs} == {"sgd"}


def test_a_run_without_a_map_records_none(tiny_mnist, tmp_path):
    (spec,) = plan(tiny_mnist, tmp_path, "--optimizer", "adam")
    assert "map" not in spec["config"]["optimizer"]
    assert Path(spec["folder"]).name == "adam_lr0.001_seed0"


def test_a_recorded_run_repeats_with_its_map(tiny_mnist, tmp_path):
    (spec,) = plan(tiny_mnist, tmp_path, "--optimizer_map", TEXT)
    values = values_from_run(spec["config"], "history.json")
    assert values["optimizer_config"]["map"] == RESOLVED


@pytest.mark.parametrize("flags, yaml_text, message", [
    (["--optimizer_map", "conv.*=sgd", "--lr_schedule", "plateau"], None,
     "--lr_schedule plateau cannot be combined with --optimizer_map"),
    (["--optimizer_map", "conv.*"], None, "--optimizer_map entry 'conv.*' has no '='"),
    (["--optimizer_map", "conv.*=adam(beta_1=2)"], None,
     "optimizer map group 'conv.*': Argument `beta_1` must be"),
    (["--optimizer_map", "conv.*=sgd(clipnorm=0)"], None,
     "group 'conv.*': --clipnorm must be a number > 0"),
    ([], "optimizer: {map: {'conv.*': nope}}\n",
     "optimizer.map group 'conv.*': unknown optimizer 'nope'"),
    ([], "optimizer: {map: {'conv.*': sgd}}\ngrid: {optimizer: {map: ['a=sgd']}}\n",
     "optimizer.map is given both as a value and under grid:"),
    ([], "optimizer_map: [a=sgd]\n", "key 'optimizer_map' an optimizer map must map patterns"),
])
def test_bad_maps_are_one_line_errors(tiny_mnist, tmp_path, flags, yaml_text, message):
    with pytest.raises((ConfigError, ValueError), match=re.escape(message)) as error:
        plan(tiny_mnist, tmp_path, *flags, yaml_text=yaml_text)
    assert "\n" not in str(error.value)
