"""analysis.frame and plot_results.py --export: one row per run per epoch, values as in the
history files (read here with json, apart from the code under test), CSV and Parquet."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas
import pytest

import plot_results
from analysis.frame import flat_config, load_frame
from analysis.loading import SelectionError
from tests.plotting.histories import make_history, write_run

ROOT = Path(__file__).resolve().parents[2]
PER_EPOCH = ("epoch", "step", "loss", "accuracy", "val_loss", "val_accuracy", "lr",
             "train_time_s", "eval_time_s")


@pytest.fixture
def results(tmp_path):
    """Two experiments: 'exp' (adam over two seeds; sgd with the whole training set per step
    and a list-valued hyperparameter, diverged, untested; a run with no epoch yet) and
    'other' (one adam run)."""
    root = tmp_path / "results"
    for seed in (0, 1):
        write_run(root, "exp", make_history("adam", seed, loss=(1.0, 0.5 + seed / 10, 0.3),
                                            test_accuracy=0.9 + seed / 100))
    write_run(root, "exp", make_history(
        "sgd", 0, loss=(2.0, None), status="diverged", test_accuracy=None, batch_size="full",
        optimizer_config={"learning_rate": 0.01, "exclude_layers": ["dense", "conv"]}))
    write_run(root, "exp", make_history("momentum", 0, loss=(), status="running",
                                        test_accuracy=None))
    write_run(root, "other", make_history("adam", 5, loss=(0.7,)))
    return root


def histories_on_disk(root: Path, experiment: str = "*") -> dict:
    """{(experiment, run): history} read with json alone."""
    return {(path.parent.parent.name, path.parent.name): json.loads(path.read_text())
            for path in sorted(root.glob(f"{experiment}/*/history.json"))}


def same(a, b) -> bool:
    """Equal values, NaN/None/empty all meaning 'no value'."""
    empty = [value is None or (isinstance(value, float) and math.isnan(value)) for value in (a, b)]
    if any(empty):
        return all(empty)
    if isinstance(b, float) or isinstance(a, float):
        return a == pytest.approx(b, rel=1e-12)
    return a == b


def expected_rows(histories: dict) -> list[dict]:
    """The rows the module docstring promises, built from the JSON by hand."""
    rows = []
    for (experiment, run), history in histories.items():
        record = history["history"]
        for index in range(len(record["epoch"])):
            row = {"experiment": experiment, "run": run, "status": history["status"],
                   "wall_time_s": history["wall_time_s"]}
            row.update({key: record[key][index] for key in PER_EPOCH})
            for key in ("accuracy", "loss"):
                row[f"test.{key}"] = (history["test"] or {}).get(key)
            for section, settings in history["config"].items():
                for key, value in settings.items():
                    if isinstance(value, list):
                        value = json.dumps(value)
                    row[f"{section}.{key}"] = value
            rows.append(row)
    return rows


def assert_frame_holds(frame: pandas.DataFrame, rows: list[dict], as_text=()) -> None:
    assert len(frame) == len(rows)
    records = frame.to_dict("records")
    for got, want in zip(records, rows, strict=True):
        for column, value in want.items():
            if column in as_text:
                value = str(value)
            assert same(got[column], value), (column, got[column], value)


def test_one_row_per_run_per_epoch_with_every_value(results):
    frame = load_frame(results)
    rows = expected_rows(histories_on_disk(results))
    assert len(rows) == 3 + 3 + 2 + 1, "the run without an epoch has no row"
    assert_frame_holds(frame, rows, as_text=("execution.batch_size",))
    assert list(frame.columns[:3]) == ["experiment", "run", "status"]
    sgd = frame[frame["optimizer.name"] == "sgd"]
    assert list(sgd["execution.batch_size"]) == ["full", "full"]
    assert list(frame[frame["optimizer.name"] == "adam"]["execution.batch_size"])[0] == "64"
    assert json.loads(sgd["optimizer.exclude_layers"].iloc[0]) == ["dense", "conv"]
    assert sgd["test.accuracy"].isna().all() and set(sgd["status"]) == {"diverged"}


def test_an_experiment_by_folder_or_by_name(results):
    by_folder = load_frame(results / "exp")
    by_name = load_frame(results, experiment="exp")
    pandas.testing.assert_frame_equal(by_folder, by_name)
    assert set(by_name["experiment"]) == {"exp"}
    assert_frame_holds(by_name, expected_rows(histories_on_disk(results, "exp")),
                       as_text=("execution.batch_size",))
    with pytest.raises(SelectionError, match="no experiment 'nope'"):
        load_frame(results, experiment="nope")


def test_flat_config_names_each_setting_by_section():
    config = {"optimizer": {"name": "muon", "exclude_layers": ["a"], "learning_rate": 0.02},
              "execution": {"seed": 3}}
    assert flat_config(config) == {"optimizer.name": "muon", "optimizer.exclude_layers": '["a"]',
                                   "optimizer.learning_rate": 0.02, "execution.seed": 3}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips(results, tmp_path, capsys, suffix):
    output = tmp_path / f"runs{suffix}"
    status = plot_results.main(["--results_dir", str(results), "--export", str(output)])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert out == f"wrote {output} (9 rows, 5 runs)\n"
    read = pandas.read_csv(output) if suffix == ".csv" else pandas.read_parquet(output)
    assert_frame_holds(read, expected_rows(histories_on_disk(results)),
                       as_text=("execution.batch_size",))


def test_export_selects_by_experiment_optimizer_and_dataset(results, tmp_path, capsys):
    output = tmp_path / "adam.csv"
    arguments = ["--results_dir", str(results), "--export", str(output)]
    assert plot_results.main([*arguments, "--experiment", "exp", "--optimizer", "adam"]) == 0
    read = pandas.read_csv(output)
    assert set(read["run"]) == {"adam_lr0.001_seed0", "adam_lr0.001_seed1"}
    assert set(read["experiment"]) == {"exp"}
    capsys.readouterr()
    assert plot_results.main([*arguments, "--dataset", "cifar10"]) == 2
    found = "(found: adam on mnist, momentum on mnist, sgd on mnist)"
    assert f"no runs to export {found}" in capsys.readouterr().err


@pytest.mark.parametrize("flags, fragment", [
    (["--export", "runs.xlsx"], "--export 'runs.xlsx' must end in .csv or .parquet"),
    (["--export", "runs"], "must end in .csv or .parquet"),
    (["--export", "runs.csv", "--table"], "--table does not apply"),
    (["--export", "runs.csv", "--landscape", "beale"], "--landscape does not apply"),
])
def test_bad_export_is_one_line_and_writes_nothing(results, tmp_path, capsys, flags, fragment,
                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    status = plot_results.main(["--results_dir", str(results), *flags])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and fragment in err
    assert err.startswith("plot_results.py: error: ") and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before, "nothing may be written"


def test_export_imports_no_tensorflow_and_pandas_only_when_exporting(results, tmp_path):
    output = tmp_path / "runs.parquet"
    code = (
        "import sys\n"
        "import plot_results\n"
        "assert 'pandas' not in sys.modules, 'pandas at import'\n"
        f"assert plot_results.main(['--results_dir', {str(results)!r}, '--export', "
        f"{str(output)!r}]) == 0\n"
        "assert 'pandas' in sys.modules\n"
        "heavy = [name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras')]\n"
        "assert not heavy, heavy\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert len(pandas.read_parquet(output)) == 9
