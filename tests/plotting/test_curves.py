"""The curves figure, inspected as matplotlib objects (no window, no file)."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgb

from analysis.summary import group_by_configuration
from plotting.curves import draw_curves
from plotting.style import OPTIMIZER_COLORS, optimizer_color
from tests.plotting.histories import make_history


def figure_of(histories, **options):
    return draw_curves(group_by_configuration(histories), **options)


def legend_texts(figure):
    [legend] = figure.legends
    return [text.get_text() for text in legend.get_texts()]


def test_two_panels_with_axis_labels():
    figure = figure_of([make_history("adam")])
    assert [(axis.get_xlabel(), axis.get_ylabel()) for axis in figure.axes] == [
        ("epoch", "loss"),
        ("epoch", "accuracy"),
    ]


@pytest.mark.parametrize("metric", ["loss", "accuracy"])
def test_one_metric_draws_one_panel(metric):
    figure = figure_of([make_history("adam")], metric=metric)
    assert [axis.get_ylabel() for axis in figure.axes] == [metric]


def test_one_line_per_run_and_split_training_solid_validation_dashed():
    histories = [make_history(name) for name in ("sgd", "adam", "rmsprop")]
    for axis in figure_of(histories).axes:
        lines = axis.get_lines()
        assert len(lines) == 3 * 2
        assert [line.get_linestyle() for line in lines] == ["-", "--"] * 3
        colors = [to_rgb(line.get_color()) for line in lines[::2]]
        assert colors == [to_rgb(OPTIMIZER_COLORS[name]) for name in ("sgd", "adam", "rmsprop")]


def test_lines_carry_the_values_of_the_run():
    run = make_history(loss=(2.0, 1.0, 0.5), val_loss=(2.5, 1.2, 0.9), accuracy=(0.3, 0.6, 0.8))
    loss_axis, accuracy_axis = figure_of([run]).axes
    train, validation = loss_axis.get_lines()
    assert list(train.get_xdata()) == [1, 2, 3]
    assert list(train.get_ydata()) == [2.0, 1.0, 0.5]
    assert list(validation.get_ydata()) == [2.5, 1.2, 0.9]
    assert list(accuracy_axis.get_lines()[0].get_ydata()) == [0.3, 0.6, 0.8]


def test_legend_has_one_entry_per_optimizer_and_the_two_line_styles():
    histories = [make_history(name, seed) for name in ("nadam", "sgd") for seed in (0, 1)]
    assert legend_texts(figure_of(histories)) == ["nadam", "sgd", "train", "validation"]


def test_an_optimizer_keeps_its_colour_in_every_figure():
    alone = figure_of([make_history("adamw")]).axes[0].get_lines()[0].get_color()
    with_others = figure_of([make_history("sgd"), make_history("adamw")])
    assert to_rgb(with_others.axes[0].get_lines()[2].get_color()) == to_rgb(alone)


def test_the_nine_optimizers_have_distinct_colours_and_others_a_stable_one():
    colors = OPTIMIZER_COLORS.values()
    assert len({to_rgb(color) for color in colors}) == len(OPTIMIZER_COLORS) >= 9
    assert optimizer_color("my_lion") == optimizer_color("my_lion")
    assert to_rgb(optimizer_color("my_lion")) not in {to_rgb(c) for c in OPTIMIZER_COLORS.values()}


def band_edges(axis):
    """The band polygon's y values at each epoch: {epoch: (lowest, highest)}."""
    band = next(item for item in axis.collections if isinstance(item, PolyCollection))
    vertices = band.get_paths()[0].vertices
    edges = {}
    for epoch, value in vertices:
        low, high = edges.get(epoch, (value, value))
        edges[epoch] = (min(low, value), max(high, value))
    return edges


LOSSES = [(2.0, 1.0, 0.6, 0.5), (2.4, 1.1, 0.5, 0.3), (1.9, 0.7, 0.65, 0.4)]


def seeds():
    return [make_history("adam", seed, loss=loss) for seed, loss in enumerate(LOSSES)]


def test_several_seeds_draw_the_mean_and_a_band_of_one_standard_deviation():
    loss_axis = figure_of(seeds(), metric="loss").axes[0]
    mean, spread = np.mean(LOSSES, axis=0), np.std(LOSSES, axis=0, ddof=1)
    assert len(loss_axis.get_lines()) == 2  # the mean, train and validation
    np.testing.assert_allclose(loss_axis.get_lines()[0].get_ydata(), mean)
    edges = band_edges(loss_axis)
    assert sorted(edges) == [1, 2, 3, 4]
    for epoch in range(1, 5):
        np.testing.assert_allclose(
            edges[epoch], (mean[epoch - 1] - spread[epoch - 1], mean[epoch - 1] + spread[epoch - 1])
        )


def test_minmax_band_spans_the_seeds():
    edges = band_edges(figure_of(seeds(), metric="loss", band="minmax").axes[0])
    for epoch in range(1, 5):
        column = [loss[epoch - 1] for loss in LOSSES]
        np.testing.assert_allclose(edges[epoch], (min(column), max(column)))


def test_diverged_run_stops_at_its_last_finite_value_with_a_mark():
    diverged = make_history("sgd", loss=(2.0, 1.5, 1.8, None, None), status="diverged")
    healthy = make_history("adam", loss=(2.0, 1.0, 0.5, 0.4, 0.3))
    figure = figure_of([diverged, healthy], metric="loss")
    axis = figure.axes[0]
    train = axis.get_lines()[0]
    assert list(train.get_xdata()) == [1, 2, 3] and list(train.get_ydata()) == [2.0, 1.5, 1.8]
    marks = [item for item in axis.collections if isinstance(item, PathCollection)]
    assert [tuple(offset) for mark in marks for offset in mark.get_offsets()] == [(3, 1.8)] * 2
    assert legend_texts(figure)[:2] == ["sgd (diverged)", "adam"]


def test_interrupted_running_and_partly_diverged_are_labelled():
    histories = [
        make_history("adam", status="interrupted"),
        make_history("sgd", status="running"),
        make_history("nadam", 0),
        make_history("nadam", 1, loss=(1.0, None, None), status="diverged"),
    ]
    assert legend_texts(figure_of(histories))[:3] == [
        "adam (interrupted)",
        "sgd (running)",
        "nadam (1/2 diverged)",
    ]


def test_a_blow_up_does_not_stretch_the_linear_loss_axis_and_is_marked_on_its_edge():
    diverged = make_history("sgd", loss=(2.0, 5.0, 1e9, None), status="diverged")
    healthy = make_history("adam", loss=(2.0, 1.0, 0.5, 0.4))
    axis = figure_of([diverged, healthy], metric="loss").axes[0]
    bottom, top = axis.get_ylim()
    assert 2.0 < top < 4.0 and 0 < bottom < 0.4
    marks = [item for item in axis.collections if isinstance(item, PathCollection)]
    assert [tuple(offset) for mark in marks for offset in mark.get_offsets()] == [(3, top)] * 2


def test_accuracy_ticks_read_as_percentages():
    accuracy_axis = figure_of([make_history(accuracy=(0.6, 0.8, 0.9))]).axes[1]
    formatter = accuracy_axis.yaxis.get_major_formatter()
    assert [formatter(value) for value in (0.95, 0.875, 0.7, 1.0)] == [
        "95%",
        "87.5%",
        "70%",
        "100%",
    ]


def test_log_y_applies_to_the_loss_panel_only():
    loss_axis, accuracy_axis = figure_of([make_history()], log_y=True).axes
    assert (loss_axis.get_yscale(), accuracy_axis.get_yscale()) == ("log", "linear")


def test_runs_without_validation_draw_training_lines_only():
    run = make_history()
    run["history"]["val_loss"] = [None] * 3
    run["history"]["val_accuracy"] = [None] * 3
    for axis in figure_of([run]).axes:
        assert [line.get_linestyle() for line in axis.get_lines()] == ["-"]


def with_learning_rates(history, rates):
    history["history"]["lr"] = list(rates)
    return history


def test_learning_rate_panel_draws_the_recorded_rates_one_line_per_configuration():
    decaying = with_learning_rates(make_history("sgd", loss=(1, 1, 1, 1)), (0.1, 0.05, 0.01, 0.002))
    constant = with_learning_rates(make_history("adam", loss=(1, 1, 1, 1)), [0.001] * 4)
    figure = figure_of([decaying, constant], metric="lr")
    [axis] = figure.axes
    assert axis.get_ylabel() == "learning rate" and axis.get_yscale() == "log"
    sgd, adam = axis.get_lines()
    assert list(sgd.get_xdata()) == [1, 2, 3, 4]
    assert list(sgd.get_ydata()) == decaying["history"]["lr"]
    assert list(adam.get_ydata()) == constant["history"]["lr"]
    assert legend_texts(figure) == ["sgd", "adam"]  # no train/validation styles


def test_learning_rates_within_a_decade_stay_on_a_linear_axis_unless_log_y():
    history = with_learning_rates(make_history("adam"), (0.001, 0.0008, 0.0005))
    assert figure_of([history], metric="lr").axes[0].get_yscale() == "linear"
    assert figure_of([history], metric="lr", log_y=True).axes[0].get_yscale() == "log"


def test_rates_a_decade_apart_in_float32_go_on_a_log_axis():
    # Keras records float32 rates: 0.01 -> 0.009999999776, 0.001 -> 0.0010000000475.
    momentum = with_learning_rates(make_history("momentum"), [float(np.float32(0.01))] * 3)
    adam = with_learning_rates(make_history("adam"), [float(np.float32(0.001))] * 3)
    assert figure_of([momentum, adam], metric="lr").axes[0].get_yscale() == "log"


def test_a_long_title_is_broken_at_its_separators_to_fit_one_panel():
    title = "mnist / cnn · readme_mnist_compare · mean of 2 seeds, band ± 1 std"
    one_panel = figure_of([make_history()], metric="loss", title=title)
    assert one_panel.get_suptitle() == (
        "mnist / cnn · readme_mnist_compare\nmean of 2 seeds, band ± 1 std"
    )
    assert figure_of([make_history()], metric="both", title=title).get_suptitle() == title
