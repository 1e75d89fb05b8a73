"""The CIFAR-10 batches are unpickled with only numpy arrays and plain containers allowed."""

import builtins
import codecs
import os
import pickle

import numpy as np
import pytest

from data import DataError, load_dataset
from tests.data.writers import cifar_members, write_cifar_archive, write_cifar_folder


class _Gadget:
    """Pickles as a call of ``function(*arguments)``, as a malicious file would."""

    def __init__(self, function, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


def _malicious_batch(gadget):
    return pickle.dumps(
        {b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"payload": gadget}, protocol=2
    )


def _gadgets(marker):
    return {
        "os.system": _Gadget(os.system, f"touch {marker}"),
        "builtins.eval": _Gadget(builtins.eval, f"open({str(marker)!r}, 'w')"),
        "builtins.open": _Gadget(builtins.open, str(marker), "w"),
        "codecs.encode-rot13": _Gadget(codecs.encode, "text", "rot13"),
    }


@pytest.mark.parametrize("gadget_name", ["os.system", "builtins.eval", "builtins.open",
                                         "codecs.encode-rot13"])
@pytest.mark.parametrize("layout", ["folder", "archive"])
def test_malicious_pickle_is_refused(tmp_path, cifar_arrays, gadget_name, layout):
    marker = tmp_path / "pwned"
    members = cifar_members(cifar_arrays)
    members["data_batch_3"] = _malicious_batch(_gadgets(marker)[gadget_name])
    data_dir = tmp_path / "data"
    if layout == "archive":
        write_cifar_archive(data_dir / "cifar-10-python.tar.gz", members)
    else:
        write_cifar_folder(data_dir, members)
    with pytest.raises(DataError) as caught:
        load_dataset("cifar10", data_dir, download=False)
    assert "data_batch_3" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not marker.exists()


def test_plain_containers_and_protocol_2_bytes_are_allowed(tmp_path, cifar_arrays):
    # Python 3 writes bytes at protocol 2 as _codecs.encode(text, "latin1"); the
    # extra keys mimic batch_label and filenames of the real batches.
    members = cifar_members(cifar_arrays, protocol=2)
    assert b"_codecs" in members["data_batch_1"]
    write_cifar_folder(tmp_path, members)
    (x_train, _), _ = load_dataset("cifar10", tmp_path, download=False)
    np.testing.assert_array_equal(x_train, cifar_arrays["x_train"])
