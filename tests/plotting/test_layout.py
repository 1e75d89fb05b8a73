"""Every figure holds all its text inside the canvas, at any number of configurations and
any label length; legends grow the figure instead of shrinking its panels or its text.

Each figure is rendered (Agg, at the DPI figures are saved at) and the window extent of
every text and legend is compared with the figure's.
"""

import numpy as np
import pytest
from matplotlib import rcParams
from matplotlib.font_manager import FontProperties
from PIL import Image

from analysis.grouping import group_by_configuration
from plotting.curves import draw_curves
from plotting.landscape import FUNCTIONS, Trajectory
from plotting.landscape_figure import draw_landscape
from plotting.output import DPI, save_figure
from plotting.sensitivity import draw_sensitivity
from plotting.style import OPTIMIZER_ORDER
from tests.plotting.extents import outside, overlaps, render, shown_tick_labels, tick_values_shown
from tests.plotting.histories import make_history

COUNTS = (1, 2, 7, 21, 60)
LENGTHS = ("short", "long")
# A setting with spaces, and one long word with none (a path), as a user's config may hold.
NOTE = "warm-up for five epochs, then cosine decay to zero as in the paper's appendix"
PATH = "results/a_very_long_experiment_folder_name_that_has_no_spaces_in_it_at_all/run"
LONG_TITLE = (
    "mnist / cnn · an_experiment_whose_name_alone_is_wider_than_the_whole_figure_"
    "because_someone_typed_the_entire_description_into_it · mean of 3 seeds, band ± 1 std"
)
MIN_PANEL_HEIGHT = 2.5  # inches: the panels keep their size however long the legend
RATES = (0.001, 0.01, 0.1)


def name(index: int, length: str) -> str:
    """A short optimizer name ("adam", "opt12"), or one of over 150 characters: a user's
    own optimizer described at length, with a setting, spaces, and a long word (a path)."""
    short = OPTIMIZER_ORDER[index] if index < len(OPTIMIZER_ORDER) else f"opt{index}"
    return short if length == "short" else f"{short} {NOTE} {PATH}"


def run(index: int, length: str, rate: float = 0.001, seed: int = 0):
    """A run with a short or long name; "settings": the optimizers of the registry, each in
    configurations apart in rate and schedule ("adam (learning_rate=0.1, schedule=...)")."""
    if length != "settings":
        return make_history(name(index, length), seed, optimizer_config={"learning_rate": rate})
    optimizer = OPTIMIZER_ORDER[index % len(OPTIMIZER_ORDER)]
    rate = RATES[index // len(OPTIMIZER_ORDER) % len(RATES)]
    settings = {"learning_rate": rate, "schedule": f"{NOTE} {index}"}
    return make_history(optimizer, seed, optimizer_config=settings)


def curve_histories(count: int, length: str) -> list[dict]:
    return [run(index, length, seed=seed) for index in range(count) for seed in (0, 1)]


def assert_fits(figure):
    renderer = render(figure)
    assert outside(figure, renderer) == []
    return renderer


def assert_panels_keep_their_size_and_clear_the_legend(figure, renderer):
    [legend] = figure.legends
    for axis in figure.axes:
        assert axis.get_position().height * figure.get_figheight() >= MIN_PANEL_HEIGHT
        assert not overlaps(legend.get_window_extent(renderer), axis.get_tightbbox(renderer))


def assert_legend_text_keeps_its_size(figure):
    size = FontProperties(size=rcParams["legend.fontsize"]).get_size_in_points()
    [legend] = figure.legends
    assert {text.get_fontsize() for text in legend.get_texts()} == {size}


def assert_labels_are_whole(figure, expected: list[str]):
    """Each legend entry holds its label, perhaps broken over lines, nothing dropped."""
    [legend] = figure.legends
    shown = [text.get_text() for text in legend.get_texts()]
    assert ["".join(text.split()) for text in shown] == ["".join(text.split()) for text in expected]


@pytest.mark.parametrize("metric", ["both", "loss", "accuracy", "lr"])
@pytest.mark.parametrize("length", [*LENGTHS, "settings"])
@pytest.mark.parametrize("count", COUNTS)
def test_curves_hold_every_text_inside_the_figure(count, length, metric):
    configurations = group_by_configuration(curve_histories(count, length))
    assert len(configurations) == count
    assert min(len(c.label) for c in configurations) > (150 if length == "long" else 0)
    title = LONG_TITLE if length != "short" else "mnist / cnn · exp · mean of 2 seeds, band ± 1 std"
    figure = draw_curves(configurations, metric, title=title)
    renderer = assert_fits(figure)
    assert_panels_keep_their_size_and_clear_the_legend(figure, renderer)
    assert_legend_text_keeps_its_size(figure)
    splits = [] if metric == "lr" else ["train", "validation"]
    assert_labels_are_whole(figure, [c.label for c in configurations] + splits)
    assert words(figure.get_suptitle()) == words(title)


def words(title: str) -> str:
    """The title's text without its spacing: a line break may replace a " · " separator."""
    return "".join(title.replace("·", " ").split())


def test_the_issues_four_long_labels_fit_an_1100_pixel_figure():
    histories = [
        make_history("momentum", seed, optimizer_config={"learning_rate": rate})
        for rate in (0.001, 0.01, 0.1, 1.0)
        for seed in (0, 1)
    ]
    figure = draw_curves(group_by_configuration(histories))
    renderer = render(figure, dpi=100)
    assert outside(figure, renderer) == []
    [legend] = figure.legends
    assert [text.get_text() for text in legend.get_texts()][-2:] == ["train", "validation"]
    extent = legend.get_window_extent(renderer)
    assert 0 <= extent.x0 and extent.x1 <= figure.bbox.width


@pytest.mark.parametrize("metric", ["both", "lr"])
def test_a_one_epoch_run_has_integer_epoch_ticks(metric):
    figure = draw_curves(group_by_configuration([make_history("adam", loss=(0.5,))]), metric)
    assert_fits(figure)
    for axis in figure.axes:
        assert tick_values_shown(axis.xaxis) == [1.0]
        assert [text.get_text() for text in shown_tick_labels(axis.xaxis)] == ["1"]


@pytest.mark.parametrize("epochs", [2, 3, 7, 50])
def test_epoch_ticks_are_whole_numbers_within_the_run(epochs):
    loss = tuple(np.linspace(1.0, 0.1, epochs))
    [axis] = draw_curves(group_by_configuration([make_history(loss=loss)]), "loss").axes
    render(axis.figure)
    values = tick_values_shown(axis.xaxis)
    assert len(values) >= 2 and all(value == round(value) for value in values)
    assert max(values) <= epochs


def sensitivity_histories(count: int, length: str) -> list[dict]:
    return [
        run(index, length, rate, seed)
        for index in range(count)
        for rate in RATES
        for seed in (0, 1)
    ]


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("count", COUNTS)
def test_sensitivity_holds_every_text_inside_the_figure(count, length):
    histories = sensitivity_histories(count, length)
    title = LONG_TITLE if length == "long" else "mnist / cnn · sweep · mean ± 1 std over seeds"
    figure = draw_sensitivity(histories, title=title)
    renderer = assert_fits(figure)
    assert_panels_keep_their_size_and_clear_the_legend(figure, renderer)
    assert_legend_text_keeps_its_size(figure)
    [legend] = figure.legends
    assert len(legend.get_texts()) == count


def trajectories(count: int, length: str, function) -> list[Trajectory]:
    """Straight paths from the start to the minimum; every third one diverged half way."""
    start, end = np.array(function.start), np.array(function.minimum)
    paths = []
    for index in range(count):
        steps = np.linspace(0.0, 1.0, 21)[:, None]
        points = start + steps * (end - start) * (1 + index / count)
        losses = function.value(points[:, 0], points[:, 1]) + 1e-3
        diverged = 10 if index % 3 == 2 else None
        if diverged is not None:
            points, losses = points[:diverged], losses[:diverged]
        paths.append(Trajectory(name(index, length), 0.001 * (index + 1), points, losses, diverged))
    return paths


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("count", COUNTS)
def test_landscape_holds_every_text_inside_the_figure(count, length):
    function = FUNCTIONS["rosenbrock"]
    title = LONG_TITLE if length == "long" else "rosenbrock · 20 steps from (-1.5, 2)"
    figure = draw_landscape(function, trajectories(count, length, function), title=title)
    renderer = assert_fits(figure)
    assert_panels_keep_their_size_and_clear_the_legend(figure, renderer)
    assert_legend_text_keeps_its_size(figure)
    [legend] = figure.legends
    assert len(legend.get_texts()) == count + 2  # and the start and the minimum


@pytest.mark.parametrize("function_name", list(FUNCTIONS))
def test_every_landscape_function_fits(function_name):
    function = FUNCTIONS[function_name]
    paths = trajectories(7, "short", function)
    figure = draw_landscape(function, paths, title=f"{function_name} · 20 steps")
    renderer = assert_fits(figure)
    assert_panels_keep_their_size_and_clear_the_legend(figure, renderer)


def test_the_saved_png_is_the_figure_that_was_checked(tmp_path):
    """Saving neither crops nor grows the figure: the file is what the tests render."""
    figure = draw_curves(group_by_configuration(curve_histories(21, "long")))
    path = tmp_path / "curves.png"
    save_figure(figure, path)
    with Image.open(path) as image:
        size = image.size
    expected = (figure.get_figwidth() * DPI, figure.get_figheight() * DPI)
    assert size == pytest.approx(expected, abs=1)
    assert_fits(figure)


def test_a_one_epoch_run_tells_training_from_validation_by_the_marker():
    # One point per split draws no line, so the line style cannot tell them apart:
    # validation markers are hollow, in the panels and in the legend's key.
    figure = draw_curves(group_by_configuration([make_history("adam", loss=(0.5,))]), "loss")
    [axis] = figure.axes
    train, validation = axis.get_lines()
    assert (train.get_fillstyle(), validation.get_fillstyle()) == ("full", "none")
    [legend] = figure.legends
    keys = {
        text.get_text(): handle
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    assert (keys["train"].get_fillstyle(), keys["validation"].get_fillstyle()) == ("full", "none")
    assert keys["train"].get_marker() == keys["validation"].get_marker() not in ("", "None", None)


def test_a_one_epoch_band_is_drawn_as_a_bar():
    # fill_between over a single epoch has no width: the spread over seeds would not show.
    runs = [make_history("adam", seed, loss=(loss,)) for seed, loss in enumerate((0.4, 0.5, 0.9))]
    [axis] = draw_curves(group_by_configuration(runs), "loss").axes
    bars = [
        segment
        for collection in axis.collections
        if hasattr(collection, "get_segments")
        for segment in collection.get_segments()
    ]
    mean, spread = np.mean((0.4, 0.5, 0.9)), np.std((0.4, 0.5, 0.9), ddof=1)
    assert len(bars) == 2  # training and validation (make_history copies the loss)
    for (x_low, low), (x_high, high) in bars:
        assert x_low == x_high and 0.5 < x_low < 1.5
        np.testing.assert_allclose((low, high), (mean - spread, mean + spread))


def test_one_epoch_points_stand_side_by_side_in_the_order_of_the_legend():
    runs = [make_history(name, loss=(0.5,)) for name in ("sgd", "adam", "nadam")]
    [axis] = draw_curves(group_by_configuration(runs), "loss").axes
    positions = [float(line.get_xdata()[0]) for line in axis.get_lines()]
    assert positions == sorted(positions) and len(set(positions)) == 6  # 3 x train, validation
    assert 0.5 < positions[0] and positions[-1] < 1.5


def test_a_diverged_one_epoch_run_is_marked_on_its_own_dodged_point():
    from matplotlib.collections import PathCollection

    runs = [make_history("sgd", loss=(0.5,)),
            make_history("adam", loss=(48.9,), val_loss=(4.05,), status="diverged",
                         test_accuracy=None)]
    [axis] = draw_curves(group_by_configuration(runs), "loss").axes
    adam_train, adam_validation = (float(line.get_xdata()[0]) for line in axis.get_lines()[2:])
    crosses = sorted(float(x) for collection in axis.collections
                     if isinstance(collection, PathCollection)
                     for x, _ in np.asarray(collection.get_offsets()))
    assert crosses == [adam_train, adam_validation]  # on its points, not at the bare epoch 1
    assert 1.0 not in crosses
