"""split_validation, class_balanced_subset and preprocess: properties, not copied outputs."""

import numpy as np
import pytest

from data import DataError, class_balanced_subset, preprocess, split_validation

# CIFAR-10 training-set channel statistics as published (pixels scaled to [0, 1]).
PUBLISHED_MEAN = (0.4914, 0.4822, 0.4465)
PUBLISHED_STD = (0.2470, 0.2435, 0.2616)


def labelled_ids(counts, seed=0):
    """x holds each image's own id (so images can be traced), y the labels, shuffled."""
    y = np.concatenate([np.full(count, label) for label, count in enumerate(counts)])
    y = np.random.default_rng(seed).permutation(y).astype(np.uint8)
    return np.arange(len(y)), y


# --- split_validation -----------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.9])
def test_split_is_disjoint_and_covers_everything(fraction):
    x, y = labelled_ids([37, 50, 11, 64, 20])
    (x_train, y_train), (x_val, y_val) = split_validation(x, y, fraction, seed=3)
    assert len(x_val) == round(fraction * len(x))
    assert len(np.intersect1d(x_train, x_val)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_val])), x)
    # Every image keeps its own label.
    np.testing.assert_array_equal(y_train, y[x_train])
    np.testing.assert_array_equal(y_val, y[x_val])


def test_split_is_stratified():
    counts = [37, 50, 11, 64, 20]
    x, y = labelled_ids(counts)
    _, (_, y_val) = split_validation(x, y, 0.2, seed=0)
    for label, count in enumerate(counts):
        assert abs(np.sum(y_val == label) - 0.2 * count) < 1


def test_split_is_deterministic_per_seed_and_shuffled():
    x, y = labelled_ids([100] * 10)
    first = split_validation(x, y, 0.1, seed=7)
    again = split_validation(x, y, 0.1, seed=7)
    other = split_validation(x, y, 0.1, seed=8)
    for part, part_again in zip(first, again, strict=True):
        np.testing.assert_array_equal(part[0], part_again[0])
    assert not np.array_equal(first[1][0], other[1][0])
    # Not sorted by label or id: training order is shuffled.
    assert not np.all(np.diff(first[0][1].astype(int)) >= 0)
    assert not np.all(np.diff(first[0][0]) > 0)


def test_split_works_on_images_and_leaves_inputs_alone():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    y = np.arange(40) % 10
    x_before, y_before = x.copy(), y.copy()
    (x_train, _), (x_val, _) = split_validation(x, y, 0.25, seed=0)
    assert x_train.shape == (30, 28, 28) and x_val.shape == (10, 28, 28)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan"), True, "0.1", None])
def test_split_rejects_fractions_outside_0_1(fraction):
    x, y = labelled_ids([10] * 10)
    with pytest.raises(DataError, match="fraction"):
        split_validation(x, y, fraction, seed=0)


def test_split_needs_an_image_on_each_side():
    x, y = labelled_ids([3])
    with pytest.raises(DataError, match="at least 1"):
        split_validation(x, y, 0.1, seed=0)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(DataError, match="10 images but y holds 9 labels"):
        split_validation(np.zeros((10, 2)), np.zeros(9, np.uint8), 0.5, seed=0)


# --- class_balanced_subset ------------------------------------------------------


def test_subset_of_balanced_data_is_balanced():
    x, y = labelled_ids([100] * 10)
    x_subset, y_subset = class_balanced_subset(x, y, 95, seed=0)
    assert len(x_subset) == 95 and len(np.unique(x_subset)) == 95
    per_class = np.bincount(y_subset, minlength=10)
    assert per_class.max() - per_class.min() <= 1
    np.testing.assert_array_equal(y_subset, y[x_subset])


def check_as_equal_as_possible(per_class, available, n):
    """Sum is n, no class over its supply, and no class left short while another has 2 more."""
    assert per_class.sum() == n
    assert np.all(per_class <= available)
    not_exhausted = per_class < available
    if np.any(not_exhausted):
        assert per_class[not_exhausted].min() >= per_class.max() - 1


def test_scarce_class_gives_all_it_has():
    counts = [3, 40, 40, 40, 40]
    x, y = labelled_ids(counts)
    _, y_subset = class_balanced_subset(x, y, 50, seed=1)
    per_class = np.bincount(y_subset, minlength=5)
    assert per_class[0] == 3
    check_as_equal_as_possible(per_class, np.array(counts), 50)


def test_subset_is_as_equal_as_possible_on_random_class_sizes():
    rng = np.random.default_rng(123)
    for _ in range(50):
        counts = rng.integers(0, 30, size=rng.integers(2, 11))
        counts[0] = max(counts[0], 1)
        x, y = labelled_ids(counts)
        n = int(rng.integers(1, len(y) + 1))
        _, y_subset = class_balanced_subset(x, y, n, seed=0)
        check_as_equal_as_possible(np.bincount(y_subset, minlength=len(counts)), counts, n)


def test_subset_is_deterministic_per_seed():
    x, y = labelled_ids([50] * 10)
    first = class_balanced_subset(x, y, 30, seed=4)
    np.testing.assert_array_equal(first[0], class_balanced_subset(x, y, 30, seed=4)[0])
    assert not np.array_equal(first[0], class_balanced_subset(x, y, 30, seed=5)[0])


def test_subset_larger_than_data_names_both_numbers():
    x, y = labelled_ids([5] * 10)
    with pytest.raises(DataError) as caught:
        class_balanced_subset(x, y, 51, seed=0)
    assert "51" in str(caught.value) and "50" in str(caught.value)


@pytest.mark.parametrize("n", [0, -3, 2.5, True, "10"])
def test_subset_size_must_be_a_positive_integer(n):
    x, y = labelled_ids([5] * 10)
    with pytest.raises(DataError, match="subset size"):
        class_balanced_subset(x, y, n, seed=0)


# --- preprocess -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_like_scaled_to_unit_interval_with_channel(name):
    x = np.array([[[0, 51], [204, 255]]], dtype=np.uint8).repeat(14, axis=1).repeat(14, axis=2)
    x = np.concatenate([x, np.full((1, 28, 28), 255, np.uint8)])
    before = x.copy()
    scaled = preprocess(x, name)
    assert scaled.dtype == np.float32 and scaled.shape == (2, 28, 28, 1)
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    np.testing.assert_allclose(scaled[0, [0, 0, 27, 27], [0, 27, 0, 27], 0],
                               [0.0, 0.2, 0.8, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(x, before)


def test_cifar_per_channel_formula():
    x = np.zeros((1, 32, 32, 3), np.uint8)
    x[0, 0, 0] = (255, 0, 51)
    scaled = preprocess(x, "cifar10")
    assert scaled.dtype == np.float32 and scaled.shape == (1, 32, 32, 3)
    expected = [(1.0 - PUBLISHED_MEAN[0]) / PUBLISHED_STD[0],
                (0.0 - PUBLISHED_MEAN[1]) / PUBLISHED_STD[1],
                (0.2 - PUBLISHED_MEAN[2]) / PUBLISHED_STD[2]]
    np.testing.assert_allclose(scaled[0, 0, 0], expected, rtol=1e-5)


def test_cifar_with_published_statistics_comes_out_standardised():
    # Per channel, half the pixels at mean - std and half at mean + std (in 0..255):
    # a data set whose channel means and standard deviations are the published ones.
    mean, std = np.array(PUBLISHED_MEAN) * 255, np.array(PUBLISHED_STD) * 255
    low, high = np.rint(mean - std), np.rint(mean + std)
    x = np.where(np.arange(2 * 32 * 32 * 3).reshape(2, 32, 32, 3) // 3 % 2 == 0, low, high)
    scaled = preprocess(x.astype(np.uint8), "cifar10")
    np.testing.assert_allclose(scaled.mean(axis=(0, 1, 2)), 0.0, atol=0.01)
    np.testing.assert_allclose(scaled.std(axis=(0, 1, 2)), 1.0, atol=0.01)


@pytest.mark.parametrize(
    ("x", "name"),
    [
        (np.zeros((2, 28, 28), np.float32), "mnist"),  # already scaled
        (np.zeros((2, 28, 28, 1), np.uint8), "mnist"),  # channel axis added already
        (np.zeros((2, 28, 28), np.uint8), "cifar10"),
        ([[0, 1]], "mnist"),
    ],
    ids=["float", "with-channel", "wrong-dataset", "list"],
)
def test_preprocess_refuses_what_is_not_raw_images(x, name):
    with pytest.raises(DataError, match="uint8"):
        preprocess(x, name)
