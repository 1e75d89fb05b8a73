"""The DATASETS registry and its error for unknown names."""

import dataclasses

import pytest

from data import DATASETS, DataError, get_dataset_info, load_dataset, preprocess

EXPECTED = {
    "mnist": ((28, 28, 1), "cnn"),
    "fashion_mnist": ((28, 28, 1), "cnn"),
    "cifar10": ((32, 32, 3), "cifar_cnn"),
}


def test_registry_holds_exactly_the_three_datasets():
    assert set(DATASETS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dataset_facts(name):
    info = DATASETS[name]
    image_shape, default_model = EXPECTED[name]
    assert info.name == name
    assert info.image_shape == image_shape
    assert info.default_model == default_model
    assert info.num_classes == 10
    assert len(info.class_names) == 10 and len(set(info.class_names)) == 10


def test_class_names_in_published_label_order():
    assert DATASETS["fashion_mnist"].class_names[0] == "T-shirt/top"
    assert DATASETS["fashion_mnist"].class_names[9] == "Ankle boot"
    assert DATASETS["cifar10"].class_names[0] == "airplane"
    assert DATASETS["cifar10"].class_names[9] == "truck"


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DATASETS["mnist"].num_classes = 11


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: get_dataset_info("imagenet"),
        lambda: load_dataset("imagenet", download=False),
        lambda: preprocess(None, "imagenet"),
    ],
    ids=["get_dataset_info", "load_dataset", "preprocess"],
)
def test_unknown_name_lists_the_choices(call):
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert "imagenet" in message
    assert all(name in message for name in EXPECTED)
    assert "\n" not in message
