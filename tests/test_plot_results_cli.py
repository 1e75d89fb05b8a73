"""plot_results.main(): files written, lines printed, exit codes, and no TensorFlow."""

import itertools
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

import plot_results
from tests.plotting.histories import make_history, write_run

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def results(tmp_path):
    """One experiment, 'exp', with adam and sgd over two seeds."""
    for optimizer in ("adam", "sgd"):
        for seed in (0, 1):
            run = make_history(optimizer, seed, val_accuracy=(0.5, 0.9 + seed / 100, 0.95))
            write_run(tmp_path / "results", "exp", run)
    return tmp_path / "results"


def run_main(capsys, *arguments):
    status = plot_results.main(list(arguments))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(status, err, *fragments):
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("plot_results.py: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_default_figure_is_a_png_beside_the_experiment(results, capsys):
    status, out, err = run_main(capsys, "--optimizer", "adam", "--results_dir", str(results))
    path = results / "exp" / "adam_both.png"
    assert (status, out, err) == (0, f"wrote {path}\n", "")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width > 400 and height > 200
    pixels = imread(path)
    assert pixels.shape[:2] == (height, width) and np.ptp(pixels[..., :3]) > 0.5
    assert [p.name for p in (results / "exp").iterdir() if p.is_file()] == ["adam_both.png"]
    plain = results / "plain"
    plain.write_bytes(b"")
    assert path.stat().st_mode == plain.stat().st_mode  # not mkstemp's private 0o600


@pytest.mark.parametrize(("name", "start"), [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_format_picks_the_kind_of_file(results, capsys, name, start):
    status, out, _ = run_main(capsys, "--results-dir", str(results), "--format", name.upper())
    path = results / "exp" / f"all_both.{name}"
    assert status == 0 and out == f"wrote {path}\n"
    assert path.read_bytes().startswith(start)


def test_output_and_hyphenated_flags(results, tmp_path, capsys):
    output = tmp_path / "figures" / "compare.png"
    arguments = ["--results-dir", str(results), "--optimizer", "adam,sgd", "--log-y"]
    status, out, _ = run_main(capsys, *arguments, "--metric", "loss", "--output", str(output))
    assert status == 0 and out == f"wrote {output}\n"
    assert output.read_bytes().startswith(PNG_SIGNATURE)


def test_table_with_target_prints_and_writes_markdown_and_csv(results, capsys):
    arguments = ["--results_dir", str(results), "--optimizer", "sgd", "--table", "--target", "0.91"]
    status, out, _ = run_main(capsys, *arguments)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"wrote {results / 'exp' / 'sgd_both.png'}"
    assert lines[1].split()[:2] == ["optimizer", "seeds"] and "epochs to 91%" in lines[1]
    # Seed 0 reaches 91% validation accuracy at epoch 3, seed 1 at epoch 2.
    assert lines[3].startswith("sgd ") and "2.5 ± 0.7" in lines[3]
    tables = [results / "exp" / "sgd_table.md", results / "exp" / "sgd_table.csv"]
    assert lines[-2:] == [f"wrote {path}" for path in tables]
    markdown = (results / "exp" / "sgd_table.md").read_text()
    assert markdown.splitlines()[2].startswith("| sgd | 2 |")


def test_malformed_file_is_named_skipped_and_the_rest_drawn(results, capsys):
    broken = results / "exp" / "nadam_broken" / "history.json"
    broken.parent.mkdir()
    broken.write_text("{not json")
    status, out, err = run_main(capsys, "--results_dir", str(results))
    assert status == 0 and out.startswith("wrote ")
    assert err.count("\n") == 1
    assert err.startswith(f"plot_results.py: warning: skipped {broken}: not valid JSON")


def test_nothing_readable_is_an_error_after_the_warnings(tmp_path, capsys):
    broken = tmp_path / "exp" / "run" / "history.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("[]")
    status, _, err = run_main(capsys, "--results_dir", str(tmp_path))
    warning, error = err.splitlines()
    assert status == 2 and str(broken) in warning
    assert error.startswith("plot_results.py: error: no readable history files")


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--optimizer", "lion"], ["no runs of 'lion'", "found: sgd, adam"]),
        (["--experiment", "nope"], ["no experiment 'nope'", "found: exp"]),
        (["--dataset", "cifar10"], ["no runs on dataset 'cifar10'", "found: mnist"]),
        (["--format", "jpg"], ["--format", "'jpg'", "png"]),
        (["--output", "figure.jpg"], ["unknown format 'jpg'"]),
        (["--output", "figure.png", "--format", "svg"], ["does not end in .svg"]),
        (["--target", "98"], ["--target 98 is not a fraction"]),
        (["--metric", "speed"], ["--metric", "'speed'"]),
        (["--no-such-flag"], ["unrecognized arguments: --no-such-flag"]),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(results, capsys, arguments, fragments):
    status, out, err = run_main(capsys, "--results_dir", str(results), *arguments)
    assert out == ""
    assert_one_error_line(status, err, *fragments)


def test_no_results_at_all(tmp_path, capsys):
    status, _, err = run_main(capsys, "--results_dir", str(tmp_path / "results"))
    assert_one_error_line(status, err, "does not exist")
    (tmp_path / "results").mkdir()
    status, _, err = run_main(capsys, "--results_dir", str(tmp_path / "results"))
    assert_one_error_line(status, err, "no history files under")


def test_unwritable_output_is_one_line_and_leaves_nothing(results, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status, out, err = run_main(
        capsys, "--results_dir", str(results), "--output", str(blocker / "figure.png")
    )
    assert out == ""
    assert_one_error_line(status, err, f"cannot write {blocker / 'figure.png'}")


def test_show_without_a_display_says_so_and_still_saves(results, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    status, out, err = run_main(capsys, "--results_dir", str(results), "--show")
    assert status == 0 and out == f"wrote {results / 'exp' / 'all_both.png'}\n"
    assert err.count("\n") == 1 and "no display" in err


def test_plot_results_never_imports_tensorflow(results, tmp_path):
    output = tmp_path / "figure.png"
    argv = ["plot_results.py", "--results_dir", str(results), "--table", "--output", str(output)]
    code = (
        "import runpy, sys\n"
        f"sys.argv = {argv!r}\n"
        "try:\n"
        "    runpy.run_path('plot_results.py', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "heavy = [name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras')]\n"
        "assert not heavy, heavy\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert output.exists()


def test_metric_lr_draws_the_learning_rate_figure(results, capsys):
    status, out, err = run_main(capsys, "--results_dir", str(results), "--metric", "lr")
    assert (status, out, err) == (0, f"wrote {results / 'exp' / 'all_lr.png'}\n", "")


@pytest.fixture
def sweep(tmp_path):
    """Experiment 'sweep': sgd and adam at three learning rates, two seeds each."""
    for optimizer, rate, seed in itertools.product(("sgd", "adam"), (0.001, 0.01, 0.1), (0, 1)):
        curve = (0.5, 0.6 + rate, 0.7 + seed / 100)
        config = {"learning_rate": rate}
        run = make_history(optimizer, seed, val_accuracy=curve, optimizer_config=config)
        write_run(tmp_path / "results", "sweep", run)
    return tmp_path / "results"


def test_sensitivity_figure_and_table_from_a_sweep(sweep, capsys):
    arguments = ["--results_dir", str(sweep), "--sensitivity", "--sensitivity_metric", "final"]
    status, out, err = run_main(capsys, *arguments, "--table")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"wrote {sweep / 'sweep' / 'all_sensitivity_final.png'}"
    assert "test acc 95% CI" in lines[1] and "vs best" in lines[1]
    assert len([line for line in lines if line.startswith(("sgd (", "adam ("))]) == 6


def test_sensitivity_of_runs_at_one_learning_rate_warns(results, capsys):
    status, out, err = run_main(capsys, "--results_dir", str(results), "--sensitivity")
    assert status == 0 and out == f"wrote {results / 'exp' / 'all_sensitivity_best.png'}\n"
    assert err.startswith("plot_results.py: warning: each optimizer ran at a single learning")


def test_landscape_runs_the_optimizers_and_draws_them(tmp_path, capsys):
    output = tmp_path / "landscape.png"
    arguments = ["--landscape", "quadratic", "--optimizer", "sgd,adam", "--steps", "20"]
    status, out, err = run_main(capsys, *arguments, "--start=-2,1", "--output", str(output))
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[:3] for line in lines[:2]] == [
        ["sgd", "lr", "0.09"],
        ["adam", "lr", "0.1"],
    ]
    # Newton and L-BFGS are drawn by default; one step takes Newton to the quadratic's minimum.
    assert lines[2].split()[:3] == ["newton", "1", "step,"] and lines[2].endswith("converged")
    assert lines[3].split()[0] == "lbfgs" and lines[3].endswith("converged")
    assert lines[4] == f"wrote {output}" and output.read_bytes().startswith(PNG_SIGNATURE)
    assert "keras" in sys.modules  # the one path that runs Keras


def test_landscape_default_output_and_one_learning_rate_for_all(tmp_path, capsys):
    arguments = ["--results_dir", str(tmp_path), "--landscape", "saddle", "--optimizer", "rmsprop"]
    arguments += ["--second_order", "none"]
    status, out, _ = run_main(capsys, *arguments, "--steps", "3", "--learning-rate", "0.02")
    assert status == 0 and out.startswith("rmsprop   lr 0.02 ")
    assert out.endswith(f"wrote {tmp_path / 'landscape_saddle_rmsprop.png'}\n")


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--landscape", "himmelblau"], ["--landscape", "'himmelblau'", "rosenbrock"]),
        (["--landscape", "beale", "--start", "1;2"], ["--start '1;2' is not two numbers"]),
        (["--landscape", "beale", "--start", "-1,2"], ["--start", "--start=-1.5,2"]),
        (["--landscape", "beale", "--start=1e300,1"], ["--start '1e300,1' is too far out"]),
        (["--landscape", "beale", "--steps", "0"], ["--steps 0 is not a whole number"]),
        (["--landscape", "beale", "--learning_rate", "-1"], ["--learning_rate -1 is not a pos"]),
        (["--landscape", "beale", "--optimizer", "adamm"], ["unknown optimizer 'adamm'", "nadam"]),
        (["--landscape", "beale", "--table"], ["--landscape draws no results: --table"]),
        (["--steps", "10"], ["--steps applies only with --landscape"]),
        (["--landscape", "beale", "--second_order", "bfgs"], ["'bfgs'", "newton, lbfgs"]),
        (["--second_order", "newton"], ["--second_order applies only with --landscape"]),
        (["--sensitivity_metric", "best"], ["applies only with --sensitivity"]),
        (["--sensitivity", "--metric", "loss"], ["--metric does not apply"]),
        (["--sensitivity", "--sensitivity_metric", "last"], ["'last'", "'best', 'final'"]),
    ],
)
def test_bad_study_flags_are_one_line_and_exit_status_2(results, capsys, arguments, fragments):
    status, out, err = run_main(capsys, "--results_dir", str(results), *arguments)
    assert out == ""
    assert_one_error_line(status, err, *fragments)


def test_a_landscape_from_the_command_line_starts_tensorflow_quietly(tmp_path):
    environment = {key: value for key, value in os.environ.items()
                   if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "plot_results.py", "--landscape", "quadratic", "--optimizer", "sgd",
         "--steps", "5", "--second_order", "none", "--output", str(tmp_path / "q.png")],
        cwd=ROOT, capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no oneDNN, cuda-driver or cuInit lines
    assert (tmp_path / "q.png").stat().st_size > 0
