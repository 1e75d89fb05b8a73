"""plot_results.py --profile and --table on a benchmark's results.json (hand-written)."""

import json

import plot_results
from analysis.report import FORMAT


def write_results(folder):
    inf = None  # JSON's "not reached"
    cell = {"median": 100, "low": 90, "high": 120, "reached": 1.0, "seeds": 3}
    never = {"median": inf, "low": inf, "high": inf, "reached": 0.0, "seeds": 3}
    per_problem = {measure: {"p": {"adam": cell, "sgd": never}} for measure in ("steps", "seconds")}
    scores = {measure: {"ratios": {"adam": {"p": 1.0}, "sgd": {"p": inf}},
                        "scores": {"adam": 1.0, "sgd": 0.0}} for measure in ("steps", "seconds")}
    protocol = {"suite": "s", "ruleset": "tuned", "optimizers": ["adam", "sgd"],
                "problems": {"p": {"target": 0.9, "epochs": 2}}, "seeds": [0, 1, 2]}
    results = {"format": FORMAT, "protocol": protocol, "per_problem": per_problem,
               "scores": scores, "best": {"p": {"adam": {"hyperparameters": {
                   "learning_rate": 0.003}}, "sgd": {"hyperparameters": {"learning_rate": 0.1}}}},
               "tau_max": 4.0}
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(results))


def test_table_and_profile(tmp_path, capsys):
    write_results(tmp_path / "bench")
    status = plot_results.main(["--results_dir", str(tmp_path), "--experiment", "bench",
                                "--table", "--profile"])
    out = capsys.readouterr().out
    assert status == 0
    assert "| adam | 1.000 | 1.000 | 1 of 1 |" in out
    assert "| sgd | learning_rate=0.1 | not reached | not reached | 0% |" in out
    assert ("| adam | learning_rate=0.003 | 100 [90, 120] | 100.0 s [90.0 s, 120.0 s] | "
            "100% |") in out
    assert (tmp_path / "bench" / "profile.png").stat().st_size > 0


def test_profile_needs_a_finished_benchmark(tmp_path, capsys):
    (tmp_path / "half").mkdir()
    status = plot_results.main(["--results_dir", str(tmp_path), "--experiment", "half",
                                "--profile"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "holds no finished benchmark" in err
    assert plot_results.main(["--results_dir", str(tmp_path), "--profile"]) == 2
    assert "--profile needs --experiment" in capsys.readouterr().err
