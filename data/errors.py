"""The one exception the data package raises for bad files and bad values."""


class DataError(ValueError):
    """A data set could not be found, read or validated, or a value is out of range.

    The message is always one self-contained line that names the file or value at
    fault and what is allowed, so the command line can print it as it is.
    """
