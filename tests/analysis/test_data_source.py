"""Where the data came from: histories trained on the bundled sample say so in titles
and tables, and the rest say nothing extra."""

import plot_results
from analysis.loading import data_label, data_note, load_run
from analysis.summary import summarize
from analysis.tables import write_tables
from tests.plotting.histories import make_history, write_run

SAMPLE = {"source": "bundled_sample", "path": "/repo/data/sample/mnist.npz",
          "train_examples": 5400, "validation_examples": 600, "test_examples": 1000}
FOLDER = {"source": "data_dir", "path": "/data/mnist", "train_examples": 54000,
          "validation_examples": 6000, "test_examples": 10000}


def with_data(history: dict, data: dict | None) -> dict:
    history["data"] = data
    return history


def test_the_label_names_the_sample_only_when_the_run_trained_on_it():
    assert data_label(with_data(make_history(), SAMPLE)) == "mnist (bundled sample)"
    assert data_label(with_data(make_history(), FOLDER)) == "mnist"
    assert data_label(with_data(make_history(), None)) == "mnist"  # migrated schema 1


def test_the_note_counts_the_sampled_runs_and_gives_the_sample_sizes():
    histories = [with_data(make_history(seed=0), SAMPLE), with_data(make_history(seed=1), FOLDER)]
    note = data_note(histories)
    assert note.startswith("Data: 1 of 2 runs trained on the MNIST sample bundled in data/sample/")
    assert "(5400 training, 1000 test images)" in note
    assert "not comparable with full-MNIST results" in note
    assert data_note([with_data(make_history(), FOLDER)]) is None
    assert data_note([with_data(make_history(), None)]) is None


def test_the_markdown_table_starts_with_the_note_and_the_csv_stays_plain(tmp_path):
    histories = [with_data(make_history(seed=seed), SAMPLE) for seed in (0, 1)]
    rows = summarize(histories)
    markdown, table_csv = write_tables(rows, tmp_path, note=data_note(histories))
    text = markdown.read_text()
    assert text.startswith("Data: 2 of 2 runs trained on the MNIST sample")
    assert "\n\n| optimizer |" in text
    assert table_csv.read_text().startswith("label,optimizer,")


def test_figure_titles_name_the_sample_and_the_model(tmp_path):
    path = write_run(tmp_path, "exp", with_data(make_history(), SAMPLE))
    run = load_run(path)
    title = plot_results._title([run], ["exp"], None)
    assert title == "mnist (bundled sample) / cnn · exp"
