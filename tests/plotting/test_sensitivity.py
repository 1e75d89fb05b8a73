"""The learning-rate sensitivity figure, from hand-written runs with known accuracies."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from plotting.sensitivity import draw_sensitivity, learning_rate_of, sensitivity_lines
from tests.plotting.histories import make_history

# optimizer -> learning rate -> one validation-accuracy curve per seed
SWEEP = {
    "sgd": {
        0.01: [(0.50, 0.60, 0.65), (0.52, 0.58, 0.66), (0.49, 0.61, 0.63)],
        0.1: [(0.70, 0.85, 0.84), (0.72, 0.83, 0.86), (0.69, 0.88, 0.87)],
        1.0: [(0.30, 0.20, 0.10), (0.40, 0.35, 0.30), (0.35, 0.25, 0.20)],
    },
    "adam": {
        0.0001: [(0.60, 0.70, 0.75), (0.62, 0.71, 0.74)],
        0.001: [(0.80, 0.90, 0.92), (0.82, 0.91, 0.90)],
        0.01: [(0.85, 0.88, 0.86), (0.80, 0.89, 0.91)],
    },
}


def sweep_histories(sweep=SWEEP):
    return [
        make_history(
            optimizer,
            seed,
            loss=[1.0] * len(curve),
            val_accuracy=curve,
            optimizer_config={"learning_rate": rate},
        )
        for optimizer, rates in sweep.items()
        for rate, curves in rates.items()
        for seed, curve in enumerate(curves)
    ]


def plotted(figure):
    """{label: (x, y, half heights of the bars drawn)} from the figure's errorbar containers."""
    [axis] = figure.axes
    result = {}
    for container in axis.containers:
        data_line, _, (bars,) = container.lines
        segments = [segment for segment in bars.get_segments() if len(segment)]
        halves = [(segment[1, 1] - segment[0, 1]) / 2 for segment in segments]
        x, y = (np.asarray(data, dtype=float) for data in data_line.get_data())
        result[container.get_label()] = (x, y, halves)
    return result


@pytest.mark.parametrize("which", ["best", "final"])
def test_points_are_the_mean_over_seeds_and_bars_one_standard_deviation(which):
    figure = draw_sensitivity(sweep_histories(), which)
    lines = plotted(figure)
    assert sorted(lines) == ["adam", "sgd"]
    for optimizer, rates in SWEEP.items():
        x, y, halves = lines[optimizer]
        per_run = [
            [max(curve) if which == "best" else curve[-1] for curve in curves]
            for curves in rates.values()
        ]
        np.testing.assert_allclose(x, sorted(rates))
        np.testing.assert_allclose(y, np.mean(per_run, axis=1))
        np.testing.assert_allclose(halves, np.std(per_run, axis=1, ddof=1))
    [axis] = figure.axes
    assert axis.get_xscale() == "log"
    assert axis.get_ylabel().startswith(f"{which} validation accuracy")


def test_one_seed_has_a_point_but_no_error_bar():
    histories = sweep_histories({"nadam": {0.002: [(0.5, 0.7, 0.6)], 0.02: [(0.4, 0.45, 0.5)]}})
    x, y, halves = plotted(draw_sensitivity(histories))["nadam"]
    assert list(x) == [0.002, 0.02] and list(y) == [0.7, 0.5] and halves == []


def test_diverged_runs_count_with_their_last_finite_accuracy_and_are_marked():
    histories = sweep_histories({"sgd": {0.1: [(0.7, 0.8, 0.9)], 1.0: [(0.6, 0.8, 0.9)]}})
    diverged = make_history(
        "sgd",
        1,
        loss=[1.0, None, None],
        val_accuracy=[0.3, None, None],
        status="diverged",
        optimizer_config={"learning_rate": 1.0},
    )
    lost = make_history(
        "sgd",
        0,
        loss=[None, None, None],
        val_accuracy=[None, None, None],
        status="diverged",
        optimizer_config={"learning_rate": 10.0},
    )
    figure = draw_sensitivity([*histories, diverged, lost], "final")
    x, y, _ = plotted(figure)["sgd"]
    assert list(x) == [0.1, 1.0, 10.0]
    np.testing.assert_allclose(y[:2], [0.9, np.mean([0.9, 0.3])])
    assert np.isnan(y[2])  # no finite accuracy at all: no point
    [axis] = figure.axes
    scatters = [item for item in axis.collections if isinstance(item, PathCollection)]
    marks = [tuple(offset) for item in scatters for offset in item.get_offsets()]
    assert marks == [(1.0, pytest.approx(0.6)), (10.0, axis.get_ylim()[0])]
    [legend] = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == ["sgd", "diverged"]


def test_other_settings_make_separate_lines_and_runs_without_a_rate_are_left_out():
    histories = [
        make_history("momentum", 0, optimizer_config={"learning_rate": 0.1, "momentum": 0.9}),
        make_history("momentum", 0, optimizer_config={"learning_rate": 0.01, "momentum": 0.9}),
        make_history("momentum", 0, optimizer_config={"learning_rate": 0.1, "momentum": 0.5}),
        make_history("momentum", 0, optimizer_config={"learning_rate": "cosine"}),
    ]
    assert learning_rate_of(histories[3]) is None
    configurations, points = sensitivity_lines(histories)
    assert [c.label for c in configurations] == [
        "momentum (momentum=0.9)",
        "momentum (momentum=0.5)",
    ]
    assert [[p.learning_rate for p in line] for line in points] == [[0.01, 0.1], [0.1]]
    with pytest.raises(ValueError, match="which 'last'"):
        sensitivity_lines(histories, "last")
