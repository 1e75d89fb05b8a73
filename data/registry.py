"""Facts about the supported data sets, one frozen record per name."""

from dataclasses import dataclass

from data.errors import DataError


@dataclass(frozen=True)
class DatasetInfo:
    """What the rest of the toolkit needs to know about a data set.

    ``image_shape`` is the shape one image has after :func:`data.preprocess`
    (channel axis included); the loaders return ``stored_shape``, which for the
    single-channel sets has no channel axis, as the files and Keras do.
    """

    name: str
    image_shape: tuple[int, int, int]
    num_classes: int
    class_names: tuple[str, ...]
    default_model: str

    @property
    def stored_shape(self) -> tuple[int, ...]:
        """The shape of one image as loaded: (28, 28) for MNIST, (32, 32, 3) for CIFAR-10."""
        height, width, channels = self.image_shape
        return (height, width) if channels == 1 else self.image_shape


_DATASET_INFOS = (
    DatasetInfo(
        name="mnist",
        image_shape=(28, 28, 1),
        num_classes=10,
        class_names=tuple(str(digit) for digit in range(10)),
        default_model="cnn",
    ),
    DatasetInfo(
        name="fashion_mnist",
        image_shape=(28, 28, 1),
        num_classes=10,
        # Label order as published by Zalando Research with the data set.
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        default_model="cnn",
    ),
    DatasetInfo(
        name="cifar10",
        image_shape=(32, 32, 3),
        num_classes=10,
        # Label order of batches.meta's label_names in the official archive.
        class_names=(
            "airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck",
        ),
        default_model="cifar_cnn",
    ),
)

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in _DATASET_INFOS}


def get_dataset_info(name: str) -> DatasetInfo:
    """Return the record for ``name``; an unknown name is a DataError listing the choices."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        choices = ", ".join(DATASETS)
        raise DataError(f"unknown dataset {name!r}; choose one of: {choices}") from None
