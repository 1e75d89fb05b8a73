"""Finding runs in a results tree: latest experiment by mtime, filters, faults named."""

import pytest

from plotting.runs import SelectionError, load_runs, parse_optimizers, select_runs
from tests.plotting.histories import make_history, write_run

OLD, NEW = 1_700_000_000, 1_700_100_000


@pytest.fixture
def results(tmp_path):
    """'zzz_old' (adam, sgd) written before 'aaa_new' (adam, nadam): names sort the other way."""
    for optimizer in ("adam", "sgd"):
        write_run(tmp_path, "zzz_old", make_history(optimizer), modified=OLD)
    for optimizer in ("adam", "nadam"):
        for seed in (0, 1):
            write_run(tmp_path, "aaa_new", make_history(optimizer, seed), modified=NEW)
    return tmp_path


def chosen(results_dir, optimizers, dataset=None, experiment=None):
    runs, problems = load_runs(results_dir, experiment)
    assert problems == []
    return [
        (run.experiment, run.optimizer, run.history["config"]["execution"]["seed"])
        for run in select_runs(runs, parse_optimizers(optimizers), dataset)
    ]


def test_one_optimizer_comes_from_the_latest_experiment_that_has_it(results):
    assert chosen(results, "adam") == [("aaa_new", "adam", 0), ("aaa_new", "adam", 1)]


def test_several_optimizers_each_come_from_their_latest_experiment(results):
    assert chosen(results, "nadam,sgd") == [("zzz_old", "sgd", 0), ("aaa_new", "nadam", 0),
                                            ("aaa_new", "nadam", 1)]  # fmt: skip


def test_all_takes_every_run_of_the_latest_experiment_in_optimizer_order(results):
    assert [name for _, name, _ in chosen(results, "all")] == ["adam", "adam", "nadam", "nadam"]


def test_experiment_pins_the_choice(results):
    assert chosen(results, "adam", experiment="zzz_old") == [("zzz_old", "adam", 0)]


def test_dataset_filters_before_latest_is_chosen(results):
    write_run(results, "cifar", make_history("adam", dataset="cifar10"), modified=NEW + 10)
    assert chosen(results, "adam") == [("cifar", "adam", 0)]
    assert [run[0] for run in chosen(results, "adam", dataset="mnist")] == ["aaa_new"] * 2


def test_unknown_optimizer_names_the_ones_that_exist(results):
    runs, _ = load_runs(results)
    with pytest.raises(SelectionError) as error:
        select_runs(runs, ["adam", "lion"])
    assert str(error.value) == "no runs of 'lion' in the results (found: sgd, adam, nadam)"


def test_unknown_optimizer_in_an_experiment_says_which_experiment(results):
    runs, _ = load_runs(results, "zzz_old")
    with pytest.raises(SelectionError, match=r"no runs of 'nadam' in experiment 'zzz_old'"):
        select_runs(runs, ["nadam"])


def test_unknown_experiment_and_dataset_name_the_ones_that_exist(results):
    with pytest.raises(SelectionError, match=r"no experiment 'x' .*\(found: aaa_new, zzz_old\)"):
        load_runs(results, "x")
    runs, _ = load_runs(results)
    with pytest.raises(SelectionError, match=r"no runs on dataset 'cifar10' \(found: mnist\)"):
        select_runs(runs, None, "cifar10")


def test_malformed_files_are_named_and_skipped(results):
    broken = results / "aaa_new" / "broken_run" / "history.json"
    broken.parent.mkdir()
    broken.write_text('{"schema_version": 1}')
    runs, problems = load_runs(results)
    assert len(runs) == 6
    assert len(problems) == 1
    assert problems[0].startswith(f"skipped {broken}: missing key(s)")


def test_no_results_at_all(tmp_path):
    with pytest.raises(SelectionError, match="no history files under"):
        load_runs(tmp_path)
    with pytest.raises(SelectionError, match="does not exist"):
        load_runs(tmp_path / "absent")


@pytest.mark.parametrize(
    ("text", "names"), [("adam", ["adam"]), (" Adam, sgd,adam ", ["adam", "sgd"]), ("all", None)]
)
def test_parse_optimizers(text, names):
    assert parse_optimizers(text) == names


def test_parse_optimizers_needs_a_name():
    with pytest.raises(SelectionError, match="--optimizer needs a name"):
        parse_optimizers(" , ")
