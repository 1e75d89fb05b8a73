"""The problem and suite registry: the shipped YAML files, user files, and clear errors."""

import pytest

from experiments.config import ConfigError
from experiments.problems import (
    PROBLEMS_DIR,
    SUITES_DIR,
    available,
    load_problem,
    load_suite,
    override_target,
)

REQUIRED_PROBLEMS = {"mnist_mlp", "mnist_cnn", "fashion_mnist_cnn", "cifar10_cnn"}


def test_the_issue_s_problems_and_suites_are_shipped():
    assert REQUIRED_PROBLEMS <= set(available(PROBLEMS_DIR))
    assert {"smoke", "small", "full"} <= set(available(SUITES_DIR))
    assert [p.name for p in load_suite("small")] == ["mnist_mlp", "mnist_cnn"]
    assert {p.name for p in load_suite("full")} == REQUIRED_PROBLEMS
    assert len(load_suite("smoke")) == 1


@pytest.mark.parametrize("name", sorted(REQUIRED_PROBLEMS))
def test_every_shipped_problem_is_complete(name):
    problem = load_problem(name)
    assert 0 < problem.target <= 1 and problem.epochs > 0 and problem.batch_size > 0
    assert problem.description


def test_mnist_mlp_has_algoperf_s_target():
    assert load_problem("mnist_mlp").target == 0.97


def test_suite_overrides_apply_to_their_problem_only():
    smoke = load_suite("smoke")[0]
    declared = load_problem("mnist_mlp")
    assert smoke.subset == 1000 and declared.subset is None
    assert smoke.model == declared.model and smoke.dataset == declared.dataset


def test_a_user_adds_problem_and_suite_in_yaml(tmp_path):
    problems, suites = tmp_path / "problems", tmp_path / "suites"
    problems.mkdir()
    suites.mkdir()
    (problems / "tiny.yaml").write_text(
        "description: a tiny one\ndataset: mnist\nmodel: mlp\nbatch_size: 8\nepochs: 1\n"
        "target: 0.5\n")
    (suites / "mine.yaml").write_text("problems:\n  tiny: {epochs: 2}\n")
    [problem] = load_suite("mine", suites, problems)
    assert (problem.name, problem.epochs, problem.batch_size) == ("tiny", 2, 8)


def test_a_suite_file_given_by_path(tmp_path):
    path = tmp_path / "my_suite.yaml"
    path.write_text("problems:\n  mnist_mlp: {subset: 200}\n")
    assert load_suite(str(path))[0].subset == 200


def test_unknown_problem_and_suite_name_the_choices(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown suite 'nope'; choose from: .*small"):
        load_suite("nope")
    path = tmp_path / "bad.yaml"
    path.write_text("problems:\n  imagenet_vit:\n")
    with pytest.raises(ConfigError, match=r"unknown problem 'imagenet_vit'; choose from: .*mnist"):
        load_suite(str(path))


@pytest.mark.parametrize("target", [0, 1.5, -0.1, "high"])
def test_target_outside_zero_one_is_refused(tmp_path, target):
    path = tmp_path / "suite.yaml"
    path.write_text(f"problems:\n  mnist_mlp: {{target: {target}}}\n")
    with pytest.raises(ConfigError, match=r"target .* expected a validation accuracy in \(0, 1\]"):
        load_suite(str(path))
    with pytest.raises(ConfigError, match=r"--target"):
        override_target(load_suite("smoke"), target)


def test_target_of_one_is_allowed():
    assert override_target(load_suite("smoke"), 1)[0].target == 1


@pytest.mark.parametrize("setting, message", [
    ("optimizer: adam", "unknown key"),
    ("epochs: 0", "epochs 0 is not allowed"),
    ("dataset: imagenet", "dataset 'imagenet' is not allowed"),
    ("model: resnet", "model 'resnet' is not allowed"),
    ("eval_every_steps: -3", "eval_every_steps -3"),
])
def test_bad_problem_settings_name_the_file_and_key(tmp_path, setting, message):
    path = tmp_path / "suite.yaml"
    path.write_text(f"problems:\n  mnist_mlp: {{{setting}}}\n")
    with pytest.raises(ConfigError, match=message) as raised:
        load_suite(str(path))
    # The bad value is the suite's override, not the problem file's.
    assert str(raised.value).startswith(f"{path}: ")
    assert "'mnist_mlp'" in str(raised.value)


def test_a_bad_value_in_a_problem_file_names_that_file(tmp_path):
    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "tiny.yaml").write_text("description: tiny\ndataset: mnist\nmodel: mlp\n"
                                        "batch_size: 0\n"
                                        "epochs: 1\ntarget: 0.5\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text("problems:\n  tiny: {epochs: 2}\n")
    with pytest.raises(ConfigError, match="batch_size 0 is not allowed") as raised:
        load_suite(str(suite), problems_folder=problems)
    assert str(raised.value).startswith(f"{problems / 'tiny.yaml'}: ")


def test_a_suite_path_that_does_not_exist(tmp_path):
    with pytest.raises(ConfigError, match=f"^suite file {tmp_path}/missing.yaml does not exist$"):
        load_suite(str(tmp_path / "missing.yaml"))


def test_a_malformed_suite_file_is_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("problems:\n  mnist_mlp: {epochs: 2\n  bad: [\n")
    with pytest.raises(ConfigError, match=f"^{path}: cannot read") as raised:
        load_suite(str(path))
    assert "\n" not in str(raised.value)
