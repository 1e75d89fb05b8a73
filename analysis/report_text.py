"""The text of a benchmark's report: the verdict tables in Markdown (pure Python).

Reads the results dict of `analysis.report` as written (infinities) or as read
back from results.json (nulls): either means "not reached".
"""

from __future__ import annotations

import math

MEASURE_UNITS = {"steps": "steps", "seconds": "s"}


def finite(value) -> bool:
    return value is not None and math.isfinite(value)


def format_time(value, measure: str) -> str:
    if not finite(value):
        return "not reached"
    return f"{value:,.0f}" if measure == "steps" else f"{value:.1f} s"


def format_cell(cell: dict, measure: str) -> str:
    """`median [low, high]`, the interval left out with fewer than two seeds."""
    text = format_time(cell["median"], measure)
    if cell["low"] is None and cell["high"] is None:
        return text
    high = format_time(cell["high"], measure) if finite(cell["high"]) else "∞"
    return f"{text} [{format_time(cell['low'], measure)}, {high}]"


def format_value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def ranked_optimizers(results: dict) -> list[str]:
    """Optimizers by score on steps, then on seconds (best first)."""
    scores = results["scores"]
    return sorted(results["protocol"]["optimizers"],
                  key=lambda name: (-scores["steps"]["scores"][name],
                                    -scores["seconds"]["scores"][name]))


def score_table(results: dict) -> list[str]:
    """Markdown: optimizer, score B on steps and on seconds, problems reached."""
    lines = ["| optimizer | score B (steps) | score B (seconds) | problems reached |",
             "|---|---:|---:|---:|"]
    table = results["per_problem"]["steps"]
    for name in ranked_optimizers(results):
        reached = sum(1 for row in table.values() if finite(row[name]["median"]))
        lines.append(f"| {name} | {results['scores']['steps']['scores'][name]:.3f} | "
                     f"{results['scores']['seconds']['scores'][name]:.3f} | "
                     f"{reached} of {len(table)} |")
    return lines


def problem_table(results: dict, problem: str) -> list[str]:
    """Markdown: one problem's optimizers, hyperparameters, times to target, share reached."""
    lines = ["| optimizer | hyperparameters | steps to target | training seconds | "
             "seeds reached |", "|---|---|---:|---:|---:|"]
    best = results["best"].get(problem, {})
    for name in ranked_optimizers(results):
        chosen = best.get(name, {}).get("hyperparameters")
        settings = ", ".join(f"{key}={format_value(value)}" for key, value in chosen.items()) \
            if chosen else "defaults"
        steps = results["per_problem"]["steps"][problem][name]
        seconds = results["per_problem"]["seconds"][problem][name]
        lines.append(f"| {name} | {settings} | {format_cell(steps, 'steps')} | "
                     f"{format_cell(seconds, 'seconds')} | {steps['reached']:.0%} |")
    return lines


def benchmark_tables(results: dict) -> list[str]:
    """The verdict: the score table, then one table per problem."""
    lines = ["### Scores", "", *score_table(results)]
    for problem, settings in results["protocol"]["problems"].items():
        lines += ["", f"### {problem}: validation accuracy {settings['target']} "
                      f"within {settings['epochs']} epochs", "", *problem_table(results, problem)]
    return lines


def provenance(results: dict) -> list[str]:
    protocol, environment = results["protocol"], results["environment"]
    trials = (f"{protocol['tuning_trials']} trials per problem and optimizer (Optuna's "
              f"scrambled Sobol sampler, seed {protocol['tuning_seed']}), the best re-run"
              if protocol["ruleset"] == "tuned" else "each optimizer at its defaults")
    lines = [f"- ruleset: {protocol['ruleset']}: {trials} on seeds "
             f"{', '.join(map(str, protocol['seeds']))}",
             f"- data: {protocol['data_dir'] or 'the default locations'}",
             f"- run time (all runs, training and evaluation): "
             f"{results['run_wall_time_s'] / 60:.1f} min"]
    for problem, settings in protocol["problems"].items():
        budget = ", ".join(f"{key} {settings[key]}" for key in (
            "dataset", "model", "batch_size", "epochs", "eval_every_steps", "subset",
            "validation_split"))
        lines.append(f"- {problem}: {budget}")
    lines.append("- environment: " + ", ".join(f"{key} {value}"
                                               for key, value in environment.items()))
    return lines


def markdown_report(results: dict, figures: dict) -> str:
    """report.md: verdict, profile figure, each problem's curves, search spaces, provenance."""
    protocol = results["protocol"]
    lines = [f"# Benchmark: suite {protocol['suite']}, ruleset {protocol['ruleset']}", "",
             "Time to target counts optimizer steps and training seconds (evaluation "
             "excluded) to the first evaluation whose validation accuracy reaches the "
             "target; medians over seeds, [95% bootstrap interval], unreached seeds count "
             f"as never. Score B: the area under the performance profile on [1, "
             f"{results['tau_max']:g}] over {results['tau_max']:g} - 1 (AlgoPerf).", "",
             *benchmark_tables(results), "", "## Performance profiles", "",
             f"![profiles]({figures['profile']})", "", "## Best runs' curves", ""]
    for problem in protocol["problems"]:
        lines += [f"![{problem}]({figures[problem]})", ""]
    if protocol["search_spaces"]:
        lines += ["## Search spaces", ""]
        for name, space in protocol["search_spaces"].items():
            ranges = ", ".join(f"{key} {bounds['low']:g}..{bounds['high']:g} ({bounds['scale']})"
                               for key, bounds in space.items())
            lines.append(f"- {name}: {ranges}")
        lines.append("")
    return "\n".join([*lines, "## Provenance", "", *provenance(results), ""])
