"""train_model.py end to end: in-process runs on tiny data, one subprocess run, bad input."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import train_model
from analysis.history import ENVIRONMENT_KEYS, HISTORY_KEYS, read_history

ROOT = Path(__file__).resolve().parents[2]


def train(tiny_mnist, output, *flags):
    """main() on the tiny data set with a one-epoch MLP unless the flags say otherwise."""
    base = ["--data_dir", str(tiny_mnist), "--output_dir", str(output), "--model", "mlp",
            "--epochs", "1", "--quiet"]
    return train_model.main(base + list(flags))


def histories(output):
    paths = sorted(output.glob("*/*/history.json"))
    return {path.parent.name: read_history(path) for path in paths}


def test_one_run_writes_a_schema_valid_history_and_summary(tiny_mnist, tmp_path, capsys):
    output = tmp_path / "results"
    assert train(tiny_mnist, output, "--experiment", "one", "--epochs", "2") == 0
    runs = histories(output)
    assert list(runs) == ["adam_lr0.001_seed0"]
    run = runs["adam_lr0.001_seed0"]
    assert run["status"] == "completed"
    assert set(ENVIRONMENT_KEYS) <= set(run["environment"])
    config = run["config"]
    assert (config["problem"]["dataset"], config["model"]["name"],
            config["optimizer"]["name"]) == ("mnist", "mlp", "adam")
    execution = config["execution"]
    assert (execution["epochs"], execution["batch_size"], execution["seed"]) == (2, 64, 0)
    assert config["optimizer"]["learning_rate"] == pytest.approx(0.001)
    assert config["optimizer"]["beta_2"] == pytest.approx(0.999)
    record = run["history"]
    assert set(record) == set(HISTORY_KEYS)
    assert record["epoch"] == [1, 2]
    # 120 images less 12 held out, in batches of 64: 2 steps an epoch.
    assert record["step"] == [2, 4]
    assert run["data"] == {"source": "data_dir", "path": str(tiny_mnist.absolute()),
                           "train_examples": 108, "validation_examples": 12,
                           "test_examples": 40}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "train_time_s",
                "eval_time_s"):
        assert len(record[key]) == 2 and all(math.isfinite(value) for value in record[key])
    assert all(value > 0 for value in record["train_time_s"] + record["eval_time_s"])
    assert record["lr"] == pytest.approx([0.001, 0.001])
    assert 0.0 <= run["test"]["accuracy"] <= 1.0 and math.isfinite(run["test"]["loss"])
    assert run["wall_time_s"] == pytest.approx(sum(record["train_time_s"])
                                               + sum(record["eval_time_s"]))
    assert run["divergence"] is None
    assert run["environment"]["device"] == "CPU"
    experiment = output / "one"
    assert (experiment / "summary.md").read_text().count("adam") >= 1
    assert "optimizer" in (experiment / "summary.csv").read_text().splitlines()[0].split(",")
    printed = capsys.readouterr().out
    assert "Device: CPU" in printed and "adam" in printed.split("Experiment:")[1]


def test_same_seed_gives_identical_histories(tiny_mnist, tmp_path):
    output = tmp_path / "results"
    for name in ("first", "second"):
        assert train(tiny_mnist, output, "--experiment", name, "--epochs", "2",
                     "--optimizer", "momentum") == 0
    first, second = (read_history(next((output / name).glob("*/history.json")))
                     for name in ("first", "second"))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert first["history"][key] == second["history"][key]  # bitwise, not approx
    assert first["test"] == second["test"]


def test_every_optimizer_runs_with_every_seed(tiny_mnist, tmp_path, capsys):
    output = tmp_path / "results"
    assert train(tiny_mnist, output, "--experiment", "grid", "--optimizer", "sgd,adam",
                 "--seed", "0,1", "--learning_rate", "0.05") == 0
    runs = histories(output)
    assert sorted(runs) == ["adam_lr0.05_seed0", "adam_lr0.05_seed1",
                            "sgd_lr0.05_seed0", "sgd_lr0.05_seed1"]
    assert {run["config"]["execution"]["seed"] for run in runs.values()} == {0, 1}
    # Different seeds shuffle and initialise differently.
    losses = [runs[f"sgd_lr0.05_seed{seed}"]["history"]["loss"] for seed in (0, 1)]
    assert losses[0] != losses[1]
    table = (output / "grid" / "summary.csv").read_text().splitlines()
    assert len(table) == 3  # header + one row per optimizer, seeds averaged


def test_hyperparameter_flags_reach_only_the_optimizers_that_have_them(tiny_mnist, tmp_path):
    from experiments.plan import plan_experiment

    config = train_model.parse_config([
        "--optimizer", "momentum,adam", "--momentum", "0.5", "--beta_2", "0.875",
        "--nesterov", "--data_dir", str(tiny_mnist), "--output_dir", str(tmp_path),
    ])
    specs = plan_experiment(config).specs
    by_optimizer = {spec["config"]["optimizer"]["name"]: spec["config"]["optimizer"]
                    for spec in specs}
    assert by_optimizer["momentum"]["momentum"] == 0.5 and by_optimizer["momentum"]["nesterov"]
    assert "beta_2" not in by_optimizer["momentum"]
    assert by_optimizer["adam"]["beta_2"] == 0.875 and "momentum" not in by_optimizer["adam"]
    # A changed hyperparameter other than the learning rate shows in the folder name.
    names = [Path(spec["folder"]).name for spec in specs]
    assert names[0].startswith("momentum_lr0.01_") and names[0] != "momentum_lr0.01_seed0"


def test_a_diverging_run_is_a_result_not_an_error(tiny_mnist, tmp_path):
    output = tmp_path / "results"
    code = train(tiny_mnist, output, "--optimizer", "sgd", "--learning_rate", "1e30",
                 "--epochs", "3")
    assert code == 0
    (run,) = histories(output).values()
    assert run["status"] == "diverged"
    assert run["divergence"] == {"epoch": 1, "step": 2, "criterion": "non_finite_loss",
                                 "value": None}
    assert run["history"]["epoch"] == [1]  # stopped after the epoch that diverged
    assert run["history"]["loss"] == [None]  # NaN is written as null
    text = next(output.glob("*/*/history.json")).read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)


@pytest.mark.slow
def test_end_to_end_in_a_subprocess(tiny_mnist, tmp_path):
    output = tmp_path / "results"
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "train_model.py", "--optimizer", "rmsprop", "--epochs", "1",
         "--data_dir", str(tiny_mnist), "--output_dir", str(output), "--model", "mlp",
         "--experiment", "sub", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (run,) = histories(output).values()
    assert run["status"] == "completed" and run["config"]["optimizer"]["name"] == "rmsprop"
    assert "rmsprop" in result.stdout and (output / "sub" / "summary.md").exists()


def corrupt_npz(tmp_path):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    return folder


BAD_INPUTS = [
    (["--optimizer", "adamm"], "unknown optimizer 'adamm'; choose from: sgd"),
    (["--dataset", "svhn"], "svhn"),
    (["--model", "resnet"], "unknown model 'resnet'; choose from: mlp, cnn, cifar_cnn"),
    (["--init", "zeros"], "unknown init 'zeros'; choose from: he, glorot"),
    (["--learning_rate", "0"], "--learning_rate must be a number > 0, got 0.0"),
    (["--learning_rate", "-1"], "--learning_rate must be a number > 0, got -1.0"),
    (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
    (["--batch_size", "-4"], "--batch_size must be a positive integer or 'full', got -4"),
    (["--subset", "0"], "--subset must be a positive integer, got 0"),
    (["--subset", "100000"], "--subset 100000 is larger than the 120 training images"),
    (["--validation_split", "1"], "--validation_split must be a number in (0, 1), got 1.0"),
    (["--experiment", "../escape"], "--experiment must be one folder name, without '/'"),
    (["--experiment", ".."], "--experiment must be one folder name"),
    (["--subset", "5"], "validation fraction 0.1 of 5 images leaves 0 for validation and 5"),
    (["--validation_split", "0.999"], "validation fraction 0.999 of 120 images leaves 120 for"),
    (["--validation_split", "0"], "--validation_split must be a number in (0, 1), got 0.0"),
    (["--optimizer", "momentum", "--momentum", "1.5"], "1.5"),
    (["--betaa", "0.5"], "unknown optimizer hyperparameter 'betaa'; known:"),
    (["--seed", "a,b"], "expected an integer or a comma list of them, got 'a,b'"),
    (["--seed", "-1"], "--seed must be a non-negative integer or a non-empty list of them, "
                       "got '-1'"),  # as typed, not as a Python tuple
    (["--optimizer", "adam,"], "--optimizer must be a name or a non-empty list of names, "
                               "got 'adam,'"),
    (["--device", "tpu"], "argument --device: invalid choice: 'tpu'"),
    (["--epochs", "ten"], "argument --epochs: invalid int value: 'ten'"),
    (["--batch_size", "half"], "--batch-size: expected a positive integer, 'full' or a comma"),
    (["--learning_rate", "0.1,x"], "--learning-rate: expected a number or a comma list of"),
    (["--lr_sweep", "1e-1:1e-4:4"], "--lr_sweep must be LOW:HIGH:N with 0 < LOW < HIGH and N >= 2"),
    (["--lr_sweep", "1e-4:1e-1:4", "--learning_rate", "0.1"],
     "--lr_sweep cannot be combined with learning_rate"),
    (["--lr_schedule", "linear"], "--lr-schedule: invalid choice: 'linear'"),
    (["--lr_schedule", "step", "--lr_decay_rate", "1.5"],
     "--lr_decay_rate must be below 1 for --lr_schedule step (it multiplies the learning rate)"),
    (["--lr_decay_rate", "0.5"], "--lr_decay_rate does not apply to --lr_schedule constant"),
    (["--lr_schedule", "cosine", "--lr_patience", "2"],
     "--lr_patience does not apply to --lr_schedule cosine"),
    (["--lr_schedule", "step", "--lr_decay_epochs", "0"],
     "--lr_decay_epochs must be a positive integer, got 0"),
    (["--lr_schedule", "plateau", "--warmup_epochs", "1"],
     "--warmup_epochs does not apply to --lr_schedule plateau"),
    (["--warmup_epochs", "1"], "--warmup_epochs 1 must be fewer than --epochs 1"),
    (["--warmup_epochs", "-1"], "--warmup_epochs must be a non-negative integer, got -1"),
    (["--early_stopping", "0"], "--early_stopping must be a positive integer, got 0"),
    (["--dropout", "1"], "--dropout must be a number in [0, 1), got 1.0"),
    (["--l2", "-0.1"], "--l2 must be a number >= 0, got -0.1"),
    (["--target", "1.5"], "--target must be a number in (0, 1], got 1.5"),
    (["--target", "0"], "--target must be a number in (0, 1], got 0.0"),
    (["--batch_norm", "maybe"], "--batch-norm: expected true or false, got 'maybe'"),
    (["--clipnorm", "-1"], "--clipnorm must be a number > 0, got -1"),
    (["--loss_scale_factor", "0"], "--loss_scale_factor must be a number > 0, got 0"),
    (["--loss_scale_factor", "-1"], "--loss_scale_factor must be a number > 0, got -1"),
    (["--loss_scale_factor", "abc"], "--loss_scale_factor must be a number > 0, got 'abc'"),
    (["--clipnorm", "1", "--clipvalue", "1"], "Only one of `clipnorm`, `clipvalue`"),
]


@pytest.mark.parametrize("flags, message", BAD_INPUTS, ids=[" ".join(f) for f, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_status_2(tiny_mnist, tmp_path, capsys, flags, message):
    output = tmp_path / "results"
    assert train(tiny_mnist, output, *flags) == 2
    assert_one_line_error(capsys, message, output)


def assert_one_line_error(capsys, message, output):
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("train_model.py: error: ") and message in lines[0], lines[0]
    assert not output.exists() or not any(output.rglob("*")), "nothing may be written"


@pytest.mark.parametrize(
    "make_flags, message",
    [
        (lambda tmp: ["--config", str(tmp / "missing.yaml")], "cannot read config file"),
        (lambda tmp: ["--data_dir", str(tmp / "nowhere")], "is not an existing directory"),
        (lambda tmp: ["--data_dir", str(tmp)], "holds no mnist files; pass --data_dir DIR with"),
        (lambda tmp: ["--data_dir", str(corrupt_npz(tmp))], "mnist.npz"),
        (lambda tmp: ["--output_dir", str(tmp / "a_file" / "results")], "cannot write to output"),
    ],
    ids=["missing-yaml", "missing-data-dir", "data-dir-without-files", "corrupt-data",
         "unwritable-output"],
)
def test_bad_files_are_one_line_and_exit_status_2(tiny_mnist, tmp_path, capsys, make_flags,
                                                  message):
    (tmp_path / "a_file").write_text("a file where a folder is needed")
    output = tmp_path / "results"
    flags = make_flags(tmp_path)
    # The later --data_dir / --output_dir win over the defaults train() passes.
    assert train(tiny_mnist, output, *flags) == 2
    assert_one_line_error(capsys, message, output)


def test_gpu_requested_without_a_gpu(tiny_mnist, tmp_path, capsys):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    assert train(tiny_mnist, tmp_path / "results", "--device", "gpu") == 2
    assert_one_line_error(capsys, "--device gpu: TensorFlow sees no GPU", tmp_path / "results")


def test_help_does_not_import_tensorflow():
    code = ("import sys, train_model\n"
            "try:\n    train_model.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--optimizer" in result.stdout


def test_the_tiny_data_is_learnable(tiny_mnist):
    # Guards the fixture: the bars encode the class, so the tests above train on signal.
    with np.load(tiny_mnist / "mnist.npz") as arrays:
        x, y = arrays["x_train"], arrays["y_train"]
    rows = x.mean(axis=2).argmax(axis=1)
    assert np.array_equal((rows - 2) // 2, y)


def test_git_commit_names_head_and_marks_uncommitted_changes(tmp_path, monkeypatch):
    from training import environment as runner

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True)

    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path)
    assert runner.git_commit() is None  # not a repository
    git("init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", "code.py")
    git("commit", "-q", "-m", "one")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    assert runner.git_commit() == head
    (tmp_path / "untracked.txt").write_text("results are not code\n")
    assert runner.git_commit() == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert runner.git_commit() == head + "+dirty"


def test_the_summary_covers_every_run_of_the_folder_after_a_resume_with_more(tiny_mnist,
                                                                            tmp_path):
    output = tmp_path / "results"
    assert train(tiny_mnist, output, "--experiment", "grow", "--optimizer", "adam") == 0
    assert train(tiny_mnist, output, "--experiment", "grow", "--optimizer", "sgd",
                 "--resume") == 0
    table = (output / "grow" / "summary.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in table[1:]] == ["sgd", "adam"]
    assert set(histories(output)) == {"adam_lr0.001_seed0", "sgd_lr0.01_seed0"}
