"""Tuning trials: seeded and repeatable, exactly K per study, search spaces checked."""

import math

import pytest

from experiments import tuning
from experiments.config import ConfigError

SPACE = {"learning_rate": {"low": 1e-4, "high": 1.0, "scale": "log"},
         "momentum": {"low": 0.5, "high": 0.99, "scale": "linear"}}


def trial_values(folder, seed, count, name="mnist_mlp/momentum"):
    study = tuning.open_study(tuning.open_storage(folder), name, seed)
    return [trial.params for trial in tuning.trials_of(study, SPACE, count)]


def test_the_same_seed_gives_the_same_trials(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    first = trial_values(tmp_path / "a", 3, 6)
    assert trial_values(tmp_path / "b", 3, 6) == first
    assert len({tuple(values.items()) for values in first}) == 6  # six distinct points
    assert trial_values(tmp_path / "c", 4, 6) != first


def test_trials_lie_in_their_ranges(tmp_path):
    for values in trial_values(tmp_path, 0, 8):
        assert 1e-4 <= values["learning_rate"] <= 1.0
        assert 0.5 <= values["momentum"] <= 0.99
    rates = sorted(math.log10(values["learning_rate"]) for values in trial_values(tmp_path, 0, 8))
    assert rates[-1] - rates[0] > 2  # log-uniform over four decades spreads over decades


def test_exactly_k_trials_and_a_continued_study_keeps_them(tmp_path):
    first = trial_values(tmp_path, 0, 3)
    assert len(first) == 3
    again = trial_values(tmp_path, 0, 3)  # reopened: nothing new is asked for
    assert again == first
    more = trial_values(tmp_path, 0, 5)  # two more: the first three unchanged
    assert more[:3] == first and len(more) == 5
    (tmp_path / "fresh").mkdir()
    assert trial_values(tmp_path / "fresh", 0, 5) == more  # as if asked in one go


def test_a_study_never_shrinks(tmp_path):
    trial_values(tmp_path, 0, 4)
    with pytest.raises(ConfigError, match="already holds 4 trials, more than --tuning_trials 2"):
        trial_values(tmp_path, 0, 2)


def test_studies_are_apart(tmp_path):
    trial_values(tmp_path, 0, 2, "p/a")
    assert len(trial_values(tmp_path, 0, 3, "p/b")) == 3


def test_record_search_spaces_name_real_hyperparameters():
    from optimizers.records import MISSION

    spaces = tuning.search_spaces(list(MISSION))
    assert set(spaces) == set(MISSION)
    assert all("learning_rate" in space for space in spaces.values())


def test_unknown_hyperparameter_in_a_search_space(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("adam:\n  learning_rate: {low: 0.001, high: 0.1, scale: log}\n"
                    "  momentum: {low: 0.1, high: 0.9, scale: linear}\n")
    with pytest.raises(ConfigError, match=r"adam's search space names unknown hyperparameter "
                                          r"'momentum'; adam takes: learning_rate, beta_1"):
        tuning.search_spaces(["adam", "sgd"], str(path))


@pytest.mark.parametrize("bounds, message", [
    ({"low": 0.0, "high": 1.0, "scale": "log"}, "low > 0 on a log scale"),
    ({"low": 0.5, "high": 0.1, "scale": "linear"}, "low < high"),
    ({"low": 0.1, "high": 0.5, "scale": "cubic"}, "scale 'cubic'"),
    ({"low": 0.1, "high": 0.5}, "must be"),
])
def test_bad_bounds(bounds, message):
    with pytest.raises(ConfigError, match=message):
        tuning.check_search_space("sgd", {"learning_rate": bounds}, "test")


def test_a_file_replaces_only_the_optimizers_it_names(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("sgd:\n  learning_rate: {low: 0.01, high: 0.1, scale: log}\n")
    spaces = tuning.search_spaces(["sgd", "adam"], str(path))
    assert spaces["sgd"] == {"learning_rate": {"low": 0.01, "high": 0.1, "scale": "log"}}
    assert "beta_1" in spaces["adam"]
