"""The results table: grouping by configuration, numbers against NumPy, formats, files."""

import csv

import numpy as np
import pytest

from analysis import summary
from tests.plotting.histories import make_history


def seeds_of(optimizer, accuracies, val_accuracies, tests, times, **config):
    """One run per seed: accuracies[i] and val_accuracies[i] are seed i's curves."""
    return [
        make_history(
            optimizer,
            seed,
            loss=[1.0] * len(train),
            accuracy=train,
            val_accuracy=val,
            test_accuracy=test,
            wall_time_s=time,
            **config,
        )
        for seed, (train, val, test, time) in enumerate(
            zip(accuracies, val_accuracies, tests, times, strict=True)
        )
    ]


ADAM_TRAIN = [[0.80, 0.90, 0.95], [0.82, 0.91, 0.97], [0.79, 0.88, 0.96]]
ADAM_VAL = [[0.78, 0.93, 0.92], [0.81, 0.90, 0.94], [0.80, 0.95, 0.91]]
ADAM_TEST = [0.93, 0.94, 0.90]
ADAM_TIME = [12.0, 13.5, 11.0]


def check(statistic, values):
    assert statistic.mean == pytest.approx(np.mean(values))
    if len(values) > 1:
        assert statistic.std == pytest.approx(np.std(values, ddof=1))
    else:
        assert statistic.std is None
    assert statistic.count == len(values)


def test_row_numbers_equal_numpy_over_seeds():
    histories = seeds_of("adam", ADAM_TRAIN, ADAM_VAL, ADAM_TEST, ADAM_TIME)
    [row] = summary.summarize(histories)
    assert (row.label, row.optimizer, row.seeds) == ("adam", "adam", 3)
    check(row.final_train_accuracy, [curve[-1] for curve in ADAM_TRAIN])
    check(row.final_val_accuracy, [curve[-1] for curve in ADAM_VAL])
    check(row.best_val_accuracy, [max(curve) for curve in ADAM_VAL])
    check(row.test_accuracy, ADAM_TEST)
    check(row.wall_time_s, ADAM_TIME)
    assert row.statuses == "3 completed"
    assert row.epochs_to_target is None and row.target is None


def test_one_seed_has_no_std_and_prints_without_spread():
    [row] = summary.summarize([make_history("sgd", accuracy=[0.5, 0.75, 0.9812])])
    assert row.final_train_accuracy.mean == pytest.approx(0.9812)
    assert row.final_train_accuracy.std is None
    assert "98.12" in summary.format_text([row]) and "±" not in summary.format_text([row])


def test_configurations_group_by_everything_but_seed_and_label_their_difference():
    fast = {"optimizer_config": {"learning_rate": 0.01}}
    histories = [
        make_history("adam", 0),
        make_history("sgd", 0),
        make_history("adam", 0, **fast),
        make_history("adam", 1),
        make_history("adam", 1, **fast),
    ]
    rows = summary.summarize(histories)
    assert [(row.label, row.seeds) for row in rows] == [
        ("adam (learning_rate=0.001)", 2),
        ("sgd", 1),
        ("adam (learning_rate=0.01)", 2),
    ]


def test_a_differing_top_level_setting_is_named_too():
    rows = summary.summarize([make_history("adam", batch_size=32), make_history("adam")])
    assert [row.label for row in rows] == ["adam (batch_size=32)", "adam (batch_size=64)"]


def test_target_epochs_and_time_over_the_seeds_that_reached_it():
    histories = [
        make_history(
            "adam",
            0,
            loss=[1] * 4,
            val_accuracy=[0.5, 0.97, 0.99, 0.99],
            train_time_s=[3.0, 2.0, 2.5, 2.0],
        ),
        make_history(
            "adam",
            1,
            loss=[1] * 4,
            val_accuracy=[0.5, 0.6, 0.98, 0.99],
            train_time_s=[4.0, 1.0, 1.5, 1.0],
        ),
        make_history("adam", 2, loss=[1] * 4, val_accuracy=[0.5, 0.6, 0.7, 0.97]),
    ]
    [row] = summary.summarize(histories, target=0.98)
    # Seed 0 reaches 98% at epoch 3 after 3 + 2 + 2.5 s, seed 1 at epoch 3 after 4 + 1 + 1.5 s.
    check(row.epochs_to_target, [3, 3])
    check(row.time_to_target_s, [7.5, 6.5])
    text = summary.format_text([row])
    assert "epochs to 98%" in text and "time to 98% (s)" in text
    assert "3.0 ± 0.0 (2/3)" in text and "7.0 ± 0.7 (2/3)" in text


def test_target_never_reached_is_blank():
    [row] = summary.summarize([make_history("sgd", val_accuracy=[0.1, 0.2, 0.3])], target=0.9)
    assert row.epochs_to_target.mean is None
    cells = summary.table_cells([row])[1][0]
    headers = summary.table_cells([row])[0]
    assert cells[headers.index("epochs to 90%")] == ""
    assert cells[headers.index("time to 90% (s)")] == ""


def test_diverged_run_is_listed_and_its_final_accuracy_is_the_last_finite_one():
    histories = [
        make_history("sgd", 0, accuracy=[0.5, 0.6, 0.7]),
        make_history(
            "sgd",
            1,
            loss=[2.0, None, None],
            accuracy=[0.4, None, None],
            status="diverged",
            test_accuracy=None,
        ),
    ]
    [row] = summary.summarize(histories)
    assert row.statuses == "1 completed, 1 diverged"
    check(row.final_train_accuracy, [0.7, 0.4])
    check(row.test_accuracy, [0.9])
    assert "1 completed, 1 diverged" in summary.format_markdown([row])
    assert "90.00 (1/2)" in summary.format_text([row])


def test_text_table_aligns_columns_and_shows_percent_with_spread():
    rows = summary.summarize(seeds_of("adam", ADAM_TRAIN, ADAM_VAL, ADAM_TEST, ADAM_TIME))
    lines = summary.format_text(rows).splitlines()
    assert lines[0].split("  ")[0].strip() == "optimizer"
    assert set(lines[1].replace(" ", "")) == {"-"}
    finals = [curve[-1] * 100 for curve in ADAM_TRAIN]
    expected = f"{np.mean(finals):.2f} ± {np.std(finals, ddof=1):.2f}"
    assert expected in lines[2]
    # Right-aligned numbers end where their header ends.
    header_end = lines[0].index("final train acc (%)") + len("final train acc (%)")
    assert lines[2].index(expected) + len(expected) == header_end


def test_markdown_table_has_one_line_per_row_and_equal_cell_counts():
    histories = seeds_of("adam", ADAM_TRAIN, ADAM_VAL, ADAM_TEST, ADAM_TIME)
    histories.append(make_history("sgd"))
    rows = summary.summarize(histories, target=0.9)
    lines = summary.format_markdown(rows).splitlines()
    headers = summary.table_cells(rows)[0]
    assert len(headers) == 12  # 10 columns and the two of the target
    assert len(lines) == 2 + 2
    assert {line.count("|") for line in lines} == {len(headers) + 1}
    assert lines[1].startswith("| :-- | --: |")
    assert lines[3].startswith("| sgd | 1 |")


def test_write_tables_writes_markdown_and_csv_with_the_documented_columns(tmp_path):
    histories = seeds_of("adam", ADAM_TRAIN, ADAM_VAL, ADAM_TEST, ADAM_TIME)
    histories.append(make_history("nadam", test_accuracy=0.91, wall_time_s=9.5))
    rows = summary.summarize(histories)
    paths = summary.write_tables(rows, tmp_path)
    assert [path.name for path in paths] == ["summary.md", "summary.csv"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["summary.csv", "summary.md"]
    assert paths[0].read_text() == summary.format_markdown(rows)
    with open(paths[1], newline="") as stream:
        reader = csv.DictReader(stream)
        records = list(reader)
    assert tuple(reader.fieldnames) == summary.CSV_COLUMNS
    adam, nadam = records
    assert float(adam["test_accuracy_mean"]) == pytest.approx(np.mean(ADAM_TEST))
    assert float(adam["test_accuracy_std"]) == pytest.approx(np.std(ADAM_TEST, ddof=1))
    assert float(adam["wall_time_s_std"]) == pytest.approx(np.std(ADAM_TIME, ddof=1))
    assert nadam["test_accuracy_std"] == "" and nadam["target"] == ""
    assert (nadam["label"], nadam["seeds"], nadam["statuses"]) == ("nadam", "1", "1 completed")


def test_write_tables_takes_a_stem(tmp_path):
    paths = summary.write_tables(summary.summarize([make_history()]), tmp_path, stem="adam_table")
    assert [path.name for path in paths] == ["adam_table.md", "adam_table.csv"]


def test_test_accuracy_interval_and_vs_best_columns():
    histories = seeds_of("adam", ADAM_TRAIN, ADAM_VAL, ADAM_TEST, ADAM_TIME)
    worse = [0.80, 0.81, 0.79]
    histories += seeds_of("sgd", ADAM_TRAIN, ADAM_VAL, worse, ADAM_TIME)
    histories += seeds_of("nadam", ADAM_TRAIN, ADAM_VAL, [0.928, 0.936, 0.901], ADAM_TIME)
    histories.append(make_history("rmsprop", 0, test_accuracy=0.85))
    rows = summary.summarize(histories)
    headers, cells = summary.table_cells(rows)
    interval, mark = headers.index("test acc 95% CI"), headers.index("vs best")
    # t(0.975, 2) = 4.303 (published tables); rmsprop has one seed: no interval, no verdict.
    half_width = 4.303 * np.std(ADAM_TEST, ddof=1) / np.sqrt(3)
    low, high = (np.mean(ADAM_TEST) + sign * half_width for sign in (-1, 1))
    assert cells[0][interval] == f"[{low * 100:.2f}, {high * 100:.2f}]"
    assert [row[mark] for row in cells] == ["best", "< best", "≈ best", ""]
    assert cells[3][interval] == ""
    records = list(csv.DictReader(summary.format_csv(rows).splitlines()))
    assert float(records[0]["test_accuracy_ci_low"]) == pytest.approx(low, rel=1e-4)
    assert float(records[0]["test_accuracy_ci_high"]) == pytest.approx(high, rel=1e-4)
    assert (records[1]["vs_best"], records[1]["vs_best_test"]) == ("< best", "paired t, 3 seeds")
    finals = [curve[-1] for curve in ADAM_VAL]
    half_width = 4.303 * np.std(finals, ddof=1) / np.sqrt(3)
    assert float(records[0]["final_val_accuracy_ci_low"]) == pytest.approx(
        np.mean(finals) - half_width, rel=1e-4
    )


def test_an_accuracy_interval_stops_at_100_percent():
    histories = [
        make_history("adam", seed, test_accuracy=value) for seed, value in enumerate((0.99, 0.97))
    ]
    [row] = summary.summarize(histories)
    # 0.98 + 12.7062 * 0.01414 / sqrt(2) = 1.107 (t(0.975, 1) = tan(0.475 pi) = 12.7062): cut to 1.
    assert row.test_accuracy_interval == (pytest.approx(0.98 - 12.7062 * 0.01), 1.0)
