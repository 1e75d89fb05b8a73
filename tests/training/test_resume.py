"""Nothing lost: killed, interrupted and repeated runs (subprocess kills on tiny data)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import train_model
from analysis.history import read_history
from experiments.claims import CLAIM
from training.checkpoint import FOLDER, latest_checkpoint

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("crash_driver.py")
EPOCHS = 4
# What differs between two runs of the same config: the clock and where it ran.
UNREPEATABLE = ("train_time_s", "eval_time_s")


def arguments(tiny_mnist, output, *extra):
    return ["--optimizer", "adam", "--model", "mlp", "--epochs", str(EPOCHS), "--quiet",
            "--data_dir", str(tiny_mnist), "--output_dir", str(output), "--experiment", "exp",
            *extra]


def only_history(output):
    (path,) = output.glob("exp/*/history.json")
    return path


def repeatable(history):
    """The parts of a history that must be equal between two runs of one config."""
    record = {key: values for key, values in history["history"].items() if key not in UNREPEATABLE}
    return {"status": history["status"], "config": history["config"], "history": record,
            "test": history["test"], "divergence": history["divergence"]}


@pytest.fixture(scope="module")
def uninterrupted(tiny_mnist, tmp_path_factory):
    output = tmp_path_factory.mktemp("uninterrupted")
    assert train_model.main(arguments(tiny_mnist, output)) == 0
    return only_history(output)


def crash(moment, epoch, argv):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(DRIVER), moment, str(epoch), "--", *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)


# moment -> (epochs in the history left behind, epoch of the checkpoint left behind)
KILLS = {
    "during_epoch": (2, 2),
    "during_history_write": (2, 2),
    "after_history_write": (3, 2),
    "during_checkpoint_write": (3, 2),
}


@pytest.mark.slow
@pytest.mark.parametrize("moment", KILLS)
def test_a_killed_run_resumes_to_the_uninterrupted_history(tiny_mnist, tmp_path, uninterrupted,
                                                           moment):
    output = tmp_path / "results"
    result = crash(moment, 3, arguments(tiny_mnist, output))
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]

    path = only_history(output)
    left = read_history(path)  # valid JSON, valid schema, whatever the moment
    epochs_recorded, checkpoint_epoch = KILLS[moment]
    assert left["status"] == "running"
    assert left["history"]["epoch"] == list(range(1, epochs_recorded + 1))
    assert latest_checkpoint(path.parent)[0] == checkpoint_epoch

    assert train_model.main(arguments(tiny_mnist, output, "--resume")) == 0
    resumed = read_history(path)
    assert repeatable(resumed) == repeatable(read_history(uninterrupted))
    assert not (path.parent / FOLDER).exists(), "checkpoints go once the run completes"
    assert not list(path.parent.glob(".*.tmp")) and not (path.parent / CLAIM).exists()


@pytest.mark.slow
@pytest.mark.parametrize("moment, status", [("sigterm", 143), ("sigint", 130)])
def test_a_signal_stops_the_run_cleanly_and_says_how_to_resume(tiny_mnist, tmp_path,
                                                               uninterrupted, moment, status):
    output = tmp_path / "results"
    result = crash(moment, 3, arguments(tiny_mnist, output))
    assert result.returncode == status, result.stderr[-2000:]
    assert "Resume with:" in result.stderr and "--resume" in result.stderr
    assert "Traceback" not in result.stderr
    left = read_history(only_history(output))
    assert left["status"] == "interrupted" and left["history"]["epoch"] == [1, 2]

    assert train_model.main(arguments(tiny_mnist, output, "--resume")) == 0
    assert repeatable(read_history(only_history(output))) == repeatable(
        read_history(uninterrupted))


def test_resume_skips_finished_runs(tiny_mnist, tmp_path, uninterrupted, capsys):
    output = uninterrupted.parents[2]
    before = uninterrupted.read_text()
    assert train_model.main(arguments(tiny_mnist, output, "--resume")) == 0
    assert "already completed" in capsys.readouterr().out
    assert uninterrupted.read_text() == before


def test_resume_refuses_other_settings(tiny_mnist, uninterrupted, capsys):
    output = uninterrupted.parents[2]
    argv = arguments(tiny_mnist, output, "--resume", "--batch_size", "32")
    assert train_model.main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert "was started with execution.batch_size=64, not 32" in error and "\n" not in error


def test_resume_with_nothing_to_resume(tiny_mnist, tmp_path, capsys):
    argv = arguments(tiny_mnist, tmp_path, "--resume")
    assert train_model.main(argv) == 2
    assert "holds no runs to resume" in capsys.readouterr().err


def test_a_new_run_refuses_an_experiment_that_has_runs(tiny_mnist, uninterrupted, capsys):
    assert train_model.main(arguments(tiny_mnist, uninterrupted.parents[2])) == 2
    assert "already holds runs; continue them with --resume" in capsys.readouterr().err


def test_from_history_repeats_the_run_exactly(tiny_mnist, tmp_path, uninterrupted):
    output = tmp_path / "again"
    argv = ["--from_history", str(uninterrupted), "--output_dir", str(output),
            "--experiment", "exp", "--quiet"]
    assert train_model.main(argv) == 0
    assert repeatable(read_history(only_history(output))) == repeatable(
        read_history(uninterrupted))


def test_from_history_rejects_a_broken_file(tmp_path, capsys):
    broken = tmp_path / "history.json"
    broken.write_text('{"schema_version": 1')
    assert train_model.main(["--from_history", str(broken)]) == 2
    assert f"{broken}: not valid JSON" in capsys.readouterr().err


def test_keep_checkpoints_keeps_the_last_one(tiny_mnist, tmp_path):
    argv = arguments(tiny_mnist, tmp_path, "--keep_checkpoints", "--epochs", "2")
    assert train_model.main(argv) == 0
    assert latest_checkpoint(only_history(tmp_path).parent)[0] == 2


def test_divergence_threshold_ends_the_run(tiny_mnist, tmp_path):
    argv = arguments(tiny_mnist, tmp_path, "--divergence_threshold", "1e-3")
    assert train_model.main(argv) == 0  # a diverged run is a result, not an error
    history = read_history(only_history(tmp_path))
    assert history["status"] == "diverged"
    assert history["divergence"]["epoch"] == 1
    assert history["divergence"]["criterion"] == "loss_threshold"
    assert history["divergence"]["value"] == history["history"]["loss"][0]
    assert history["history"]["loss"][0] > 1e-3 and history["test"] is None


def test_no_room_for_a_checkpoint_is_refused(tiny_mnist, tmp_path, monkeypatch, capsys):
    import shutil

    import training.preflight

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(training.preflight.shutil, "disk_usage",
                        lambda path: usage._replace(free=1000))
    assert train_model.main(arguments(tiny_mnist, tmp_path)) == 2
    assert "not enough free space" in capsys.readouterr().err


# A killed run with a schedule, a plateau or early stopping resumes to the history of an
# uninterrupted one: the schedule runs on the restored step count, and the callbacks'
# counters, best value and best weights come back from the checkpoint.
# scenario: (data set fixture, flags, epoch killed in, or None: chosen by where it stops)
SCENARIOS = {
    "step-schedule-warmup": ("tiny_mnist", ["--optimizer", "sgd", "--learning_rate", "0.1",
                                            "--lr_schedule", "step", "--warmup_epochs", "1"], 3),
    "plateau": ("noise_mnist", ["--optimizer", "adam", "--lr_schedule", "plateau",
                                "--lr_patience", "1"], 5),
    "early-stopping": ("noise_mnist", ["--optimizer", "adam", "--early_stopping", "2"], None),
}


def scenario_arguments(data_dir, output, flags):
    return ["--model", "mlp", "--batch_size", "16", "--epochs", "6", "--quiet",
            "--data_dir", str(data_dir), "--output_dir", str(output), "--experiment", "exp",
            *flags]


def kill_and_resume(data_dir, output, flags, moment, epoch):
    result = crash(moment, epoch, scenario_arguments(data_dir, output, flags))
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert train_model.main(scenario_arguments(data_dir, output, [*flags, "--resume"])) == 0
    return read_history(only_history(output))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_killed_run_resumes_exactly_with_schedules_and_stopping(request, tmp_path, scenario):
    fixture, flags, killed_in = SCENARIOS[scenario]
    data_dir = request.getfixturevalue(fixture)
    assert train_model.main(scenario_arguments(data_dir, tmp_path / "whole", flags)) == 0
    whole = read_history(only_history(tmp_path / "whole"))
    rates = whole["history"]["lr"]
    if killed_in is None:
        # Killed while counting epochs without improvement, and once more after the
        # checkpoint of the epoch that decided to stop, before the best weights came back.
        stop = whole["early_stopping"]["stopped_at_epoch"]
        assert whole["status"] == "early_stopped"
        assert whole["early_stopping"]["best_epoch"] < stop - 1
        kills = [("during_epoch", stop), ("after_checkpoint", stop)]
    else:
        # The rate changes after the epoch killed in: the resumed run must get it right.
        assert rates[killed_in] < rates[killed_in - 1]
        kills = [("during_epoch", killed_in)]
    for number, (moment, epoch) in enumerate(kills):
        resumed = kill_and_resume(data_dir, tmp_path / f"killed{number}", flags, moment, epoch)
        assert repeatable(resumed) == repeatable(whole), moment
        assert resumed["early_stopping"] == whole["early_stopping"]
