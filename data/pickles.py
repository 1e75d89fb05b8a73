"""A restricted unpickler for the CIFAR-10 python batches.

The official batches are Python 2 pickles of a dict holding a numpy array and
lists. A pickle can name any importable callable, so the plain ``pickle``
module would run whatever a tampered file asks for (``os.system`` and friends).
This unpickler resolves only the few globals that rebuild a numpy array and its
dtype; dicts, lists, bytes, str and int need no global at all. Everything else
is refused before it is imported.
"""

import codecs
import io
import pickle

import numpy as np

from data.errors import DataError


def _latin1_encode(text, encoding):
    """Stand-in for ``_codecs.encode``, which protocol-2 pickles use to rebuild bytes.

    Python 3 writes a ``bytes`` object at protocol 2 as
    ``_codecs.encode(str, "latin1")``; only that exact use is let through.
    """
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin-1")


def _numpy_globals() -> dict[tuple[str, str], object]:
    # Ask the installed numpy which functions its own array pickles call
    # (_reconstruct at protocols 2-4, _frombuffer at 5) instead of importing
    # private modules by path. Files written by numpy < 2 name them under
    # numpy.core, by numpy >= 2 under numpy._core: both spellings are allowed.
    reconstruct = np.zeros(1).__reduce_ex__(2)[0]
    frombuffer = np.zeros(1).__reduce_ex__(5)[0]
    allowed: dict[tuple[str, str], object] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{package}.numeric", "_frombuffer")] = frombuffer
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers; refuses every other global."""

    _allowed = _numpy_globals()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}") from None


def load_restricted(raw: bytes, source: str):
    """Unpickle ``raw`` (read from ``source``) with :class:`RestrictedUnpickler`.

    Any failure, a refused global included, is one DataError naming ``source``.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as error:  # a malformed pickle can raise almost anything
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{source}: not a readable CIFAR-10 pickle ({reason})") from error
