"""`train_model.py --suite`: bad input is one line, exit 2, nothing written; a tiny
benchmark end to end; a study killed mid-trial resumes to the same final table."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import train_model
from analysis.report import RESULTS_FILE, read_results

ROOT = Path(__file__).resolve().parents[2]
TINY_SUITE = """\
problems:
  mnist_mlp: {batch_size: 16, epochs: 6, eval_every_steps: 4, target: 0.3,
              validation_split: 0.25}
"""


def run_cli(argv, capsys):
    status = train_model.main(argv)
    captured = capsys.readouterr()
    return status, captured.err


@pytest.fixture
def suite_file(tmp_path):
    path = tmp_path / "tiny_suite.yaml"
    path.write_text(TINY_SUITE)
    return path


@pytest.mark.parametrize("arguments, message", [
    (["--suite", "nope"], "unknown suite 'nope'; choose from:"),
    (["--tuning_trials", "0"], "--tuning_trials 0 is not allowed; expected a whole number >= 1"),
    (["--target", "1.5"], "--target 1.5 is not allowed; expected a validation accuracy in (0, 1]"),
    (["--target", "0"], "--target 0.0 is not allowed"),
    (["--optimizer", "adam,rmsprob"], "unknown optimizer 'rmsprob'"),
    (["--seed", "0,0"], "repeats a seed"),
    (["--ruleset", "lucky"], "invalid choice: 'lucky'"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, suite_file,
                                                          arguments, message):
    output = tmp_path / "out"
    argv = ["--suite", str(suite_file), "--output_dir", str(output), *arguments]
    status, err = run_cli(argv, capsys)
    assert status == 2
    assert err.count("\n") == 1 and message in err and err.startswith("train_model.py: error:")
    assert not output.exists()


def test_unknown_problem_in_a_suite(tmp_path, capsys):
    suite = tmp_path / "suite.yaml"
    suite.write_text("problems:\n  mnist_transformer:\n")
    status, err = run_cli(["--suite", str(suite), "--output_dir", str(tmp_path / "out")], capsys)
    assert status == 2 and "unknown problem 'mnist_transformer'" in err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_unknown_hyperparameter_in_the_search_space_file(tmp_path, capsys, suite_file):
    space = tmp_path / "space.yaml"
    space.write_text("sgd:\n  learning_rate: {low: 0.001, high: 0.1, scale: log}\n"
                     "  beta_1: {low: 0.8, high: 0.99, scale: linear}\n")
    status, err = run_cli(["--suite", str(suite_file), "--optimizer", "sgd", "--search_space",
                           str(space), "--output_dir", str(tmp_path / "out")], capsys)
    assert status == 2 and "sgd's search space names unknown hyperparameter 'beta_1'" in err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_missing_data_is_refused_before_writing(tmp_path, capsys, suite_file):
    status, err = run_cli(["--suite", str(suite_file), "--data_dir", str(tmp_path / "none"),
                           "--output_dir", str(tmp_path / "out")], capsys)
    assert status == 2 and not (tmp_path / "out").exists()


def benchmark_argv(suite_file, data, output, *extra):
    return ["--suite", str(suite_file), "--optimizer", "adam,sgd", "--tuning_trials", "2",
            "--seed", "0,1", "--data_dir", str(data), "--output_dir", str(output),
            "--experiment", "tiny", "--quiet", *extra]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_mnist):
    folder = tmp_path_factory.mktemp("uninterrupted")
    (folder / "suite.yaml").write_text(TINY_SUITE)
    assert train_model.main(benchmark_argv(folder / "suite.yaml", tiny_mnist, folder)) == 0
    return folder / "tiny"


@pytest.mark.slow
def test_every_optimizer_gets_exactly_k_trials_and_the_best_is_rerun(uninterrupted):
    from experiments import tuning

    results = read_results(uninterrupted)
    storage = tuning.open_storage(uninterrupted)
    for name in ("adam", "sgd"):
        study = tuning.open_study(storage, f"mnist_mlp/{name}", 0)
        assert [trial.state.name for trial in study.trials] == ["COMPLETE", "COMPLETE"]
        assert len(results["trials"]["mnist_mlp"][name]) == 2
        best = results["best"]["mnist_mlp"][name]
        objectives = [trial["objective"] for trial in results["trials"]["mnist_mlp"][name]]
        assert best["objective"] == min(objectives)
        for final in results["finals"]["mnist_mlp"][name]:
            for key, value in best["hyperparameters"].items():
                assert final["hyperparameters"][key] == value
    folders = sorted(path.name for path in uninterrupted.iterdir() if path.is_dir())
    assert folders == [f"mnist_mlp-{name}-{run}" for name in ("adam", "sgd")
                       for run in ("seed0", "seed1", "trial00", "trial01")]
    report = (uninterrupted / "report.md").read_text()
    assert "| adam |" in report and "![profiles](profile.png)" in report
    assert (uninterrupted / "profile.png").stat().st_size > 0


@pytest.mark.slow
def test_a_study_killed_mid_trial_resumes_to_the_same_table(tmp_path, tiny_mnist, uninterrupted,
                                                            capsys):
    (tmp_path / "suite.yaml").write_text(TINY_SUITE)
    argv = benchmark_argv(tmp_path / "suite.yaml", tiny_mnist, tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(ROOT / "train_model.py"), *argv], cwd=ROOT,
                               env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "tiny" / "mnist_mlp-sgd-trial00" / "checkpoints"
    deadline = time.monotonic() + 300
    while not any(checkpoints.glob("epoch-*")) and process.poll() is None:
        assert time.monotonic() < deadline, "the benchmark never reached its third trial"
        time.sleep(0.02)
    assert process.poll() is None, "the benchmark ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "tiny" / RESULTS_FILE).exists()
    assert train_model.main([*argv, "--resume"]) == 0
    resumed, complete = read_results(tmp_path / "tiny"), read_results(uninterrupted)
    assert resumed["best"] == complete["best"]
    assert resumed["per_problem"]["steps"] == complete["per_problem"]["steps"]
    for name in ("adam", "sgd"):
        assert [trial["steps"] for trial in resumed["trials"]["mnist_mlp"][name]] == \
            [trial["steps"] for trial in complete["trials"]["mnist_mlp"][name]]
    assert json.loads((tmp_path / "tiny" / "benchmark.json").read_text())["tuning_trials"] == 2


@pytest.mark.slow
def test_the_defaults_ruleset_runs_each_optimizer_at_its_defaults(tmp_path, tiny_mnist):
    import optimizers

    (tmp_path / "suite.yaml").write_text(TINY_SUITE)
    argv = ["--suite", str(tmp_path / "suite.yaml"), "--optimizer", "adam,sgd", "--ruleset",
            "defaults", "--data_dir", str(tiny_mnist), "--output_dir", str(tmp_path),
            "--experiment", "plain", "--quiet"]
    assert train_model.main(argv) == 0
    results = read_results(tmp_path / "plain")
    assert results["trials"] == {} and results["best"] == {}
    assert results["protocol"]["tuning_trials"] is None
    for name in ("adam", "sgd"):
        [final] = results["finals"]["mnist_mlp"][name]
        assert final["hyperparameters"] == optimizers.hyperparameters(name)
    assert not (tmp_path / "plain" / "optuna.journal").exists()
    assert "defaults" in (tmp_path / "plain" / "report.md").read_text()


@pytest.mark.parametrize("arguments, message", [
    (["--workers", "0"], "--workers 0 is not allowed; expected a whole number >= 1"),
    (["--threads_per_run", "0"], "--threads_per_run 0 is not allowed"),
    (["--workers", "2", "--ray", "auto"], "--workers and --ray cannot be combined"),
])
def test_bad_scale_out_flags_are_refused(tmp_path, capsys, suite_file, arguments, message):
    output = tmp_path / "out"
    status, err = run_cli(["--suite", str(suite_file), "--output_dir", str(output),
                           *arguments], capsys)
    assert status == 2
    assert err.count("\n") == 1 and message in err and not output.exists()


@pytest.mark.slow
def test_trials_trained_by_two_workers_give_the_serial_results(tmp_path, tiny_mnist,
                                                               uninterrupted):
    (tmp_path / "suite.yaml").write_text(TINY_SUITE)
    argv = benchmark_argv(tmp_path / "suite.yaml", tiny_mnist, tmp_path, "--workers", "2")
    assert train_model.main(argv) == 0
    parallel, serial = read_results(tmp_path / "tiny"), read_results(uninterrupted)
    assert parallel["best"] == serial["best"]
    assert parallel["per_problem"]["steps"] == serial["per_problem"]["steps"]
    for run in sorted(path.name for path in uninterrupted.iterdir() if path.is_dir()):
        ours = json.loads((tmp_path / "tiny" / run / "history.json").read_text())
        theirs = json.loads((uninterrupted / run / "history.json").read_text())
        assert ours["config"]["optimizer"] == theirs["config"]["optimizer"]
        for key in ("loss", "val_loss", "val_accuracy"):
            assert ours["history"][key] == theirs["history"][key], (run, key)


@pytest.mark.slow
def test_two_invocations_work_on_one_study(tmp_path, tiny_mnist, uninterrupted):
    from experiments import tuning

    (tmp_path / "suite.yaml").write_text(TINY_SUITE)
    argv = benchmark_argv(tmp_path / "suite.yaml", tiny_mnist, tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, str(ROOT / "train_model.py"), *argv], cwd=ROOT,
                             env=environment, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (tmp_path / "tiny" / "benchmark.json").exists():
        assert first.poll() is None and time.monotonic() < deadline, "no protocol written"
        time.sleep(0.02)
    assert train_model.main([*argv, "--resume"]) == 0  # the second, while the first runs
    assert first.wait(timeout=300) == 0, first.stderr.read()[-2000:]
    storage = tuning.open_storage(tmp_path / "tiny")
    for name in ("adam", "sgd"):
        study = tuning.open_study(storage, f"mnist_mlp/{name}", 0)
        assert [trial.state.name for trial in study.trials] == ["COMPLETE", "COMPLETE"]
    shared, alone = read_results(tmp_path / "tiny"), read_results(uninterrupted)
    assert shared["best"] == alone["best"]
    assert shared["per_problem"]["steps"] == alone["per_problem"]["steps"]
    assert not (tmp_path / "tiny" / f"{tuning.ASK_LOCK}.lock").exists()
