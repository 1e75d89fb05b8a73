"""The divergence rule: blow-ups are diverged for every optimizer, healthy runs never are."""

import math
import os
from pathlib import Path

import pytest

import optimizers
import train_model
from analysis.history import read_history
from training.divergence import CHANCE_FACTOR, DivergenceRule

ROOT = Path(__file__).resolve().parents[2]
MISSION = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam")
# Real MNIST (Keras's mnist.npz layout); ../shared/data beside the repository by default.
REAL_MNIST = Path(os.environ.get("MNIST_SUBSET_DIR", ROOT.parent / "shared/data/mnist-subset"))


def test_the_rule_names_the_criterion_that_fired():
    rule = DivergenceRule(num_classes=10)
    chance = math.log(10)
    assert rule.check(math.nan) == ("non_finite_loss", None)
    assert rule.check(math.inf) == ("non_finite_loss", None)
    assert rule.check(16.1) == ("above_chance_loss", 16.1)  # clipped cross-entropy: 1e-7
    assert rule.check(CHANCE_FACTOR * chance + 0.01) == ("above_chance_loss",
                                                         CHANCE_FACTOR * chance + 0.01)
    assert rule.check(CHANCE_FACTOR * chance - 0.01) is None
    assert rule.check(chance) is None  # guessing is not diverging
    # The L2 penalty is not cross-entropy: a large --l2 alone is no divergence.
    assert rule.check(30.0, penalty=28.0) is None
    assert rule.check(None) is None and rule.check(0.0) is None  # no value, no 0/0


def test_a_threshold_replaces_the_chance_rule():
    rule = DivergenceRule(num_classes=10, threshold=50.0)
    assert rule.check(16.1) is None
    assert rule.check(50.5) == ("loss_threshold", 50.5)
    assert rule.check(math.nan) == ("non_finite_loss", None)
    assert DivergenceRule(num_classes=100).chance_loss == pytest.approx(math.log(100))


def run_all(data_dir, output, *flags):
    argv = ["--optimizer", ",".join(MISSION), "--data_dir", str(data_dir), "--output_dir",
            str(output), "--experiment", "exp", "--quiet", *flags]
    assert train_model.main(argv) == 0
    histories = [read_history(path) for path in sorted((output / "exp").glob("*/history.json"))]
    return {history["config"]["optimizer"]["name"]: history for history in histories}


@pytest.mark.slow
def test_far_too_large_learning_rates_are_diverged_for_every_optimizer(tiny_mnist, tmp_path):
    runs = run_all(tiny_mnist, tmp_path, "--learning_rate", "1e6", "--epochs", "2",
                   "--model", "cnn")
    assert sorted(runs) == sorted(MISSION)
    for name, history in runs.items():
        assert history["status"] == "diverged", (name, history["history"]["loss"])
        divergence = history["divergence"]
        assert divergence["criterion"] in ("non_finite_loss", "above_chance_loss"), name
        assert divergence["epoch"] == history["history"]["epoch"][-1]
        assert history["test"] is None


@pytest.mark.slow
@pytest.mark.skipif(not (REAL_MNIST / "mnist.npz").exists(),
                    reason=f"no real MNIST at {REAL_MNIST} (set MNIST_SUBSET_DIR)")
@pytest.mark.parametrize("factor", [1, 10])
def test_default_and_ten_times_default_rates_do_not_diverge(tmp_path, factor):
    for name in MISSION:
        rate = factor * optimizers.hyperparameters(name)["learning_rate"]
        argv = ["--optimizer", name, "--learning_rate", str(rate), "--subset", "500",
                "--epochs", "2", "--data_dir", str(REAL_MNIST), "--output_dir",
                str(tmp_path), "--experiment", name, "--quiet"]
        assert train_model.main(argv) == 0
        (path,) = (tmp_path / name).glob("*/history.json")
        history = read_history(path)
        assert history["status"] == "completed", (name, rate, history["history"]["loss"])
        assert history["divergence"] is None
