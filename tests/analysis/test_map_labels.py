"""Runs with per-layer optimizers group and read in tables and legends by their map."""

import copy

from analysis import run_config
from analysis.grouping import group_by_configuration


def history(seed=0, learning_rate=0.001, groups=None):
    config = {"problem": {"dataset": "mnist"}, "model": {"name": "cnn"},
              "optimizer": {"name": "adam", "learning_rate": learning_rate, "beta_1": 0.9},
              "schedule": {"name": "constant"}, "execution": {"seed": seed, "batch_size": 64}}
    if groups is not None:
        config["optimizer"]["map"] = copy.deepcopy(groups)
    return {"config": config}


SGD_CONV = {"conv.*": {"name": "sgd", "learning_rate": 0.01, "weight_decay": None},
            "dense.*": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9}}


def labels(*histories):
    return [configuration.label for configuration in group_by_configuration(list(histories))]


def test_a_mapped_run_reads_as_its_groups_and_the_default():
    assert run_config.map_label(history(groups=SGD_CONV)["config"]) == (
        "conv.*=sgd, dense.*=adam, rest=adam")
    assert labels(history(), history(groups=SGD_CONV), history(seed=1, groups=SGD_CONV)) == [
        "adam", "conv.*=sgd, dense.*=adam, rest=adam"]


def test_a_group_setting_that_differs_is_written_after_the_group():
    faster = copy.deepcopy(SGD_CONV)
    faster["conv.*"]["learning_rate"] = 0.1
    assert labels(history(groups=SGD_CONV), history(groups=faster)) == [
        "conv.*=sgd(learning_rate=0.01), dense.*=adam, rest=adam",
        "conv.*=sgd(learning_rate=0.1), dense.*=adam, rest=adam"]


def test_groups_of_other_optimizers_show_the_settings_they_share_that_differ():
    frozen = {"conv.*": {"name": "sgd", "learning_rate": 0.0, "weight_decay": None}}
    momentum = {"conv.*": {"name": "momentum", "learning_rate": 0.05, "momentum": 0.9,
                           "nesterov": False, "weight_decay": None}}
    assert labels(history(), history(groups=frozen), history(groups=momentum)) == [
        "adam", "conv.*=sgd(learning_rate=0), rest=adam",
        "conv.*=momentum(learning_rate=0.05), rest=adam"]


def test_default_group_settings_follow_in_brackets_as_for_any_run():
    assert labels(history(groups=SGD_CONV), history(learning_rate=0.01, groups=SGD_CONV)) == [
        "conv.*=sgd, dense.*=adam, rest=adam (learning_rate=0.001)",
        "conv.*=sgd, dense.*=adam, rest=adam (learning_rate=0.01)"]


def test_the_optimizer_of_a_mapped_configuration_is_its_default_group():
    (configuration,) = group_by_configuration([history(groups=SGD_CONV)])
    assert configuration.optimizer == "adam"  # colour and marker, --optimizer adam


def test_hyperparameters_leave_the_map_out_and_describe_names_it():
    config = history(groups=SGD_CONV)["config"]
    assert run_config.hyperparameters(config) == {"learning_rate": 0.001, "beta_1": 0.9}
    assert run_config.describe(config) == ("adam [conv.*=sgd, dense.*=adam, rest=adam] "
                                           "(learning_rate=0.001, beta_1=0.9) batch=64 seed=0")
