"""The records: complete, consistent with the classes, and readable without Keras."""

import subprocess
import sys
from pathlib import Path

import keras
import pytest

import optimizers
from optimizers import records
from plotting.landscape import FUNCTIONS

ROOT = Path(optimizers.__file__).resolve().parent.parent


def test_records_and_plotting_style_import_no_keras_or_tensorflow():
    # A fresh interpreter: this one has imported Keras long ago.
    code = (
        "import sys\n"
        "import optimizers, optimizers.records, plotting.style, plotting.landscape\n"
        "optimizers.MISSION, optimizers.REGISTERED, optimizers.records.record('adam')\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')]\n"
        "print(heavy)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_registered_and_mission_derive_from_the_records():
    assert optimizers.REGISTERED == tuple(record.name for record in optimizers.RECORDS)
    assert len(set(optimizers.REGISTERED)) == len(optimizers.REGISTERED)
    assert optimizers.MISSION == ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam")
    assert optimizers.OPTIMIZERS["momentum"] is optimizers.Momentum


def test_unknown_name_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose from: sgd, momentum"):
        records.record("lbfgs")
    with pytest.raises(AttributeError, match="no attribute 'Lbfgs'"):
        optimizers.Lbfgs  # noqa: B018


def test_figure_styles_are_distinct():
    colors = [record.color for record in optimizers.RECORDS]
    markers = [record.marker for record in optimizers.RECORDS]
    assert len(set(colors)) == len(colors) and len(set(markers)) == len(markers)
    assert "x" not in markers  # 'x' marks where a run diverged


@pytest.mark.parametrize("record", optimizers.RECORDS, ids=lambda record: record.name)
def test_record_names_its_class_and_builtin(record):
    cls = records.load_class(record)
    assert issubclass(cls, keras.optimizers.Optimizer)
    assert records.registered_name(cls) == record.name
    assert optimizers.OPTIMIZERS[record.name] is cls
    if record.keras_builtin is not None:
        builtin = optimizers.builtin(record.name)
        # isinstance: Keras's PyTorch backend returns its torch subclass of the built-in.
        assert isinstance(builtin, getattr(keras.optimizers, record.keras_builtin))
        for key, value in record.keras_arguments.items():
            assert getattr(builtin, key) == value


@pytest.mark.parametrize("record", optimizers.RECORDS, ids=lambda record: record.name)
def test_schedule_support_is_as_recorded(record):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    if record.takes_schedule:
        assert float(optimizers.get(record.name, learning_rate=schedule).learning_rate) > 0
    else:
        with pytest.raises(ValueError):
            optimizers.get(record.name, learning_rate=schedule)


@pytest.mark.parametrize("record", optimizers.RECORDS, ids=lambda record: record.name)
def test_landscape_has_a_rate_for_every_function(record):
    assert set(record.landscape_learning_rates) == set(FUNCTIONS)
    assert all(rate > 0 for rate in record.landscape_learning_rates.values())


@pytest.mark.parametrize("record", optimizers.RECORDS, ids=lambda record: record.name)
def test_search_space_is_over_hyperparameters_the_class_accepts(record):
    own = optimizers.hyperparameters(record.name)
    assert "learning_rate" in record.search_space
    for key, space in record.search_space.items():
        assert key in own, key
        assert set(space) == {"low", "high", "scale"}
        assert space["scale"] in ("log", "linear")
        assert space["low"] < space["high"]
        if space["scale"] == "log":
            assert space["low"] > 0
        for end in (space["low"], space["high"]):  # both ends are valid values
            config = optimizers.get(record.name, **{key: end}).get_config()
            assert config[key] == pytest.approx(end, rel=1e-6)
    # The learning rate is searched over a wide range: at least three decades.
    learning_rate = record.search_space["learning_rate"]
    assert learning_rate["scale"] == "log"
    assert learning_rate["high"] / learning_rate["low"] >= 1e3
