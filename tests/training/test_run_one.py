"""One run as a function of its JSON spec: in process, in a fresh process, through executors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import train_model
from analysis.history import read_history
from experiments.driver import run_experiment
from experiments.execute import execute_serially
from experiments.plan import plan_experiment
from training.runner import run_one

ROOT = Path(__file__).resolve().parents[2]
CLOCKS = ("train_time_s", "eval_time_s")


def specs_for(tiny_mnist, output, *flags):
    config = train_model.parse_config(["--model", "mlp", "--epochs", "2", "--quiet",
                                       "--data_dir", str(tiny_mnist), "--output_dir",
                                       str(output), "--experiment", "exp", *flags])
    return plan_experiment(config).specs


def without_clocks(history):
    record = {key: values for key, values in history["history"].items() if key not in CLOCKS}
    return {**history, "history": record, "wall_time_s": None, "environment": None}


def test_run_one_writes_and_returns_the_history_and_repeats_nothing(tiny_mnist, tmp_path,
                                                                    capsys):
    (spec,) = specs_for(tiny_mnist, tmp_path)
    history = run_one(spec)
    assert history == read_history(Path(spec["folder"]) / "history.json")
    assert history["status"] == "completed" and history["config"] == spec["config"]
    assert not (Path(spec["folder"]) / "checkpoints").exists()
    assert run_one(spec) == history  # finished: returned as it is, not trained again
    assert "already completed" in capsys.readouterr().out


@pytest.mark.slow
def test_a_fresh_process_runs_a_spec_from_its_json_alone(tiny_mnist, tmp_path):
    (spec,) = specs_for(tiny_mnist, tmp_path / "here")
    here = run_one(spec)
    (elsewhere,) = specs_for(tiny_mnist, tmp_path / "there")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(elsewhere))
    code = ("import json, sys; from training.runner import run_one; "
            "run_one(json.load(open(sys.argv[1])))")
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code, str(spec_file)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stderr[-2000:]
    there = read_history(Path(elsewhere["folder"]) / "history.json")
    assert without_clocks(there) == without_clocks(here)  # bit for bit, but the clocks


def test_the_driver_takes_any_executor_and_summarizes_from_the_files(tiny_mnist, tmp_path):
    seen = []

    def backwards(specs):
        """A stand-in for a parallel executor: another order, histories yielded late."""
        histories = [run_one(spec) for spec in reversed(specs)]
        seen.extend(spec["config"]["execution"]["seed"] for spec in reversed(specs))
        yield from histories

    config = train_model.parse_config(["--model", "mlp", "--epochs", "1", "--seed", "0,1",
                                       "--quiet", "--data_dir", str(tiny_mnist),
                                       "--output_dir", str(tmp_path), "--experiment", "exp"])
    assert run_experiment(config, executor=backwards) == 0
    assert seen == [1, 0]
    table = (tmp_path / "exp" / "summary.csv").read_text().splitlines()
    assert len(table) == 2 and table[1].split(",")[2] == "2"  # one row, both seeds


def test_the_serial_executor_yields_each_history_in_manifest_order(tiny_mnist, tmp_path):
    specs = specs_for(tiny_mnist, tmp_path, "--optimizer", "sgd,adam", "--epochs", "1")
    names = [history["config"]["optimizer"]["name"] for history in execute_serially(specs)]
    assert names == ["sgd", "adam"]
