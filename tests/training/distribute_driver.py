"""Run train_model.py in this process with a shorter wait for the multi-worker cluster.

    python tests/training/distribute_driver.py REGISTER_TIMEOUT_S -- TRAIN_MODEL_ARGUMENTS...

Used by test_distribute_run.py: a worker whose cluster never comes together must
end (after REGISTER_TIMEOUT_S, 300 s in the code) with one error; the test cannot
wait that long. The patch lives here, in the tests; the code under test has no hook.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import train_model  # noqa: E402
import training.distribute  # noqa: E402

if __name__ == "__main__":
    seconds, separator, *arguments = sys.argv[1:]
    assert separator == "--", "usage: distribute_driver.py SECONDS -- ARGUMENTS"
    training.distribute.REGISTER_TIMEOUT_S = int(seconds)
    raise SystemExit(train_model.main(arguments))
