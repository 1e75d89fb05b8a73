"""Train a model with one or more of the toolkit's optimizers and compare them.

    python train_model.py --optimizer adam --epochs 50
    python train_model.py --optimizer all --seed 0,1,2 --epochs 10
    python train_model.py --optimizer momentum --momentum 0.95 --nesterov true
    python train_model.py --config configs/compare_all.yaml --epochs 3
    python train_model.py --optimizer all --experiment study --resume
    python train_model.py --from_history results/study/adam_lr0.001_seed0/history.json

Each run writes results/<experiment>/<run>/history.json; the experiment folder
gets summary.md and summary.csv, and the table is printed at the end.
"""

from __future__ import annotations

import argparse
import sys

from training.config import (
    DEVICES,
    ConfigError,
    check_values,
    load_yaml,
    parse_scalar,
    resolve,
    values_from_run,
)

PROG = "train_model.py"
EPILOG = """\
optimizer hyperparameters:
  Any other --NAME VALUE pair sets hyperparameter NAME of the chosen optimizers,
  e.g. --momentum 0.95, --beta_2 0.99, --weight_decay 0.01, --nesterov true, or
  --amsgrad alone for true. With several optimizers, each takes the ones it has.
  In YAML, put them under optimizer_config:.

exit status: 0 done (diverged runs included), 2 bad input, 130 interrupted by
  Ctrl-C (SIGINT), 143 by SIGTERM; an interrupted experiment continues with --resume.
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a ConfigError: main() reports every bad input alike."""

    def error(self, message):
        raise ConfigError(message)


def comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(","))


def seed_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or a comma list of integers, got {text!r}"
        ) from None


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Train and compare optimizers on MNIST, Fashion-MNIST or CIFAR-10.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,  # so that only flags given override YAML
    )

    def add(name, help, **kwargs):
        spellings = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        parser.add_argument(*spellings, dest=name, help=help, **kwargs)

    add("optimizer", "name, comma list, or 'all' (the seven of the mission); default adam",
        type=comma_list, metavar="NAMES")
    add("epochs", "epochs per run (default 50)", type=int)
    add("batch_size", "mini-batch size (default 64)", type=int)
    add("learning_rate", "learning rate (default: each optimizer's own)", type=float)
    add("dataset", "mnist, fashion_mnist or cifar10 (default mnist)")
    add("model", "mlp, cnn or cifar_cnn (default: cnn, or cifar_cnn for cifar10)")
    add("init", "weight initialisation: he or glorot (default he)")
    add("seed", "seed or comma list of seeds; every optimizer runs with each (default 0)",
        type=seed_list, metavar="SEEDS")
    add("subset", "train on a class-balanced subset of N training images", type=int,
        metavar="N")
    add("validation_split", "fraction of the training set held out (default 0.1)", type=float)
    add("data_dir", "folder holding the data set files (see README: offline use)")
    add("output_dir", "where experiments are written (default results)")
    add("experiment", "experiment folder name (default <dataset>_<model>_<timestamp>)")
    add("config", "YAML file of settings; flags override it", metavar="FILE.yaml")
    add("device", "auto, cpu or gpu (default auto)", choices=DEVICES)
    add("quiet", "one line per epoch instead of a progress bar", action="store_true")
    add("resume", "continue the unfinished runs of --experiment (default: the latest one "
        "for this data set and model) from their last completed epoch", action="store_true")
    add("keep_checkpoints", "keep each run's last checkpoint after it finishes",
        action="store_true")
    add("divergence_threshold", "end a run as diverged once its loss exceeds this "
        "(a non-finite loss always does)", type=float, metavar="LOSS")
    add("from_history", "repeat the run recorded in this history.json (its config; "
        "flags still override)", metavar="PATH")
    return parser


def parse_hyperparameters(tokens: list[str]) -> dict:
    """Turn leftover `--name value`, `--name=value` or bare `--flag` tokens into a dict."""
    hyperparameters = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("--") or len(token) == 2:
            raise ConfigError(f"unexpected argument {token!r}")
        name, separator, value = token[2:].partition("=")
        if not separator:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or following.startswith("--"):
                value = "true"
            else:
                value, index = following, index + 1
        hyperparameters[name.replace("-", "_")] = parse_scalar(value)
        index += 1
    return hyperparameters


def parse_config(argv):
    """Flags and the YAML file they name, merged into one ExperimentConfig."""
    arguments, leftovers = build_parser().parse_known_args(argv)
    flags = vars(arguments)
    config_file = flags.pop("config", None)
    history_file = flags.pop("from_history", None)
    hyperparameters = parse_hyperparameters(leftovers)
    if hyperparameters:
        flags["optimizer_config"] = hyperparameters
    flag_values = check_values(flags, lambda key: f"--{key}")
    if config_file and history_file:
        raise ConfigError("--config and --from_history cannot be combined")
    if history_file:
        file_values = values_from_run(read_run_config(history_file), history_file)
    else:
        file_values = load_yaml(config_file) if config_file else {}
    return resolve(file_values, flag_values)


def read_run_config(path: str) -> dict:
    from training.history import HistoryError, read_history

    try:
        return read_history(path)["config"]
    except HistoryError as error:
        raise ConfigError(str(error)) from None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        config = parse_config(argv)
    except ConfigError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    from training.runner import run_experiment  # imports TensorFlow: only after parsing

    return run_experiment(config, prog=PROG, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
