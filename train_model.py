"""Train a model with one or more of the toolkit's optimizers and compare them.

    python train_model.py --optimizer adam --epochs 50
    python train_model.py --optimizer all --seed 0,1,2 --epochs 10
    python train_model.py --optimizer momentum --momentum 0.95 --nesterov true
    python train_model.py --optimizer adam --optimizer_map "conv.*=sgd(learning_rate=0.05)"
    python train_model.py --optimizer all --lr_sweep 1e-4:1e-1:4 --epochs 5
    python train_model.py --optimizer sgd --lr_schedule step --lr_decay_epochs 10 --warmup_epochs 2
    python train_model.py --config configs/compare_all.yaml --epochs 3
    python train_model.py --optimizer all --experiment study --resume
    python train_model.py --from_history results/study/adam_lr0.001_seed0/history.json
    python train_model.py --suite small --optimizer all --tuning_trials 8 --seed 0,1,2
    python train_model.py --optimizer all --seed 0,1 --workers 2
    python train_model.py --optimizer all --seed 0,1 --ray auto --output_dir /shared/results
    python train_model.py --optimizer adam --distribute mirrored --batch_size 256
    TF_CONFIG='{...}' python train_model.py --distribute multi_worker --experiment big

Each run writes results/<experiment>/<run>/history.json; the experiment folder
gets summary.md and summary.csv, and the table is printed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys

from experiments.config import (
    DEVICES,
    DISTRIBUTE_CHOICES,
    JIT_CHOICES,
    SCALE_LR_CHOICES,
    SCHEDULES,
    ConfigError,
    check_values,
    load_yaml,
    parse_scalar,
    resolve,
    values_from_run,
)
from training.startup import quiet_tensorflow_start

PROG = "train_model.py"
EPILOG = """\
optimizer hyperparameters:
  Any other --NAME VALUE pair sets hyperparameter NAME of the chosen optimizers,
  e.g. --momentum 0.95, --beta_2 0.99, --nesterov true, or --amsgrad alone for
  true. With several optimizers, each takes the ones it has. In YAML, put them
  in the optimizer: section (a list there is one value), and values to try
  under grid: (grid: {optimizer: {momentum: [0.9, 0.99]}}); see the README.
  Every optimizer also takes:
    --weight_decay W      decoupled weight decay: each step, w -= lr * W * w, apart
                          from the gradient (unlike --l2, which adds to the loss)
    --clipnorm C          rescale each variable's gradient g to C * g / ||g|| when ||g|| > C
    --global_clipnorm C   the same with the norm of all gradients together
    --clipvalue C         clip every gradient element to [-C, C] (only one clip flag)

learning-rate schedules (--lr_schedule; S = steps per epoch, step counts updates from 0):
  constant      lr
  step          lr * rate ** floor(step / (E * S))   the rate drops every E epochs
  exponential   lr * rate ** (step / (E * S))
  inverse_time  lr / (1 + rate * step / (E * S))
  cosine        lr * (1 + cos(pi * step / (E * S))) / 2, E defaults to the rest of the run
  plateau       lr * rate once val_loss has not improved for --lr_patience epochs
  rate = --lr_decay_rate (default 0.5), E = --lr_decay_epochs (default 1).
  --warmup_epochs W first rises linearly from 0 (lr * step / (W * S)), then the
  schedule runs on step - W * S. The history's "lr" is the rate of each epoch's
  last update.

grids: every combination of optimizers, learning rates (--learning_rate 0.1,0.01
  or --lr_sweep LOW:HIGH:N, N log-spaced rates), batch sizes and seeds runs once.

benchmark suites (experiments/benchmark_cli.py; `--suite NAME --help` lists its flags):
  --suite NAME runs the problems of configs/suites/NAME.yaml (smoke, small, full, ...)
  for each optimizer under --ruleset tuned (default: --tuning_trials K trials, default 8,
  from each optimizer's search space; the best re-run on every --seed) or defaults,
  and writes results.json and report.md (scores from time to target).

exit status: 0 done (diverged runs included), 2 bad input, 130 interrupted by
  Ctrl-C (SIGINT), 143 by SIGTERM; an interrupted experiment continues with --resume.
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a ConfigError: main() reports every bad input alike."""

    def error(self, message):
        raise ConfigError(message)


def comma_separated(parse_one, expected: str):
    """An argparse type: one value, or a comma list of values, each read by `parse_one`."""
    def parse(text: str) -> tuple:
        try:
            return tuple(parse_one(part.strip()) for part in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {expected} or a comma list of them, got {text!r}"
            ) from None
    return parse


def integer_or_full(text: str):
    return text if text == "full" else int(text)


comma_list = comma_separated(str, "a name")
seed_list = comma_separated(int, "an integer")
float_list = comma_separated(float, "a number")
batch_size_list = comma_separated(integer_or_full, "a positive integer, 'full'")


def boolean(text: str) -> bool:
    value = parse_scalar(text)
    if not isinstance(value, bool):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Train and compare optimizers on MNIST, Fashion-MNIST or CIFAR-10.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,  # so that only flags given override YAML
    )
    group = parser

    def add(name, help, **kwargs):
        spellings = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        group.add_argument(*spellings, dest=name, help=help, **kwargs)

    add("optimizer", "name, comma list, 'all' (the seven of the mission) or 'registered' (every "
        "registered optimizer); default adam",
        type=comma_list, metavar="NAMES")
    add("optimizer_map", "per-layer optimizers: comma list of PATTERN=NAME or "
        "PATTERN=NAME(KEY=VALUE,...), patterns being regexes over variable paths such as "
        "conv2d/kernel; --optimizer (and its flags) is the default group for the rest "
        "(see README: per-layer optimizers)", metavar="MAP")
    add("epochs", "epochs per run (default 50)", type=int)
    add("batch_size", "examples per step, or 'full' for the whole training set (batch "
        "gradient descent; 1 is stochastic); a comma list is a grid axis (default 64)",
        type=batch_size_list, metavar="N")
    add("learning_rate", "learning rate, or a comma list of them (default: each "
        "optimizer's own)", type=float_list, metavar="LR")
    add("lr_sweep", "N learning rates spaced evenly in log scale from LOW to HIGH, "
        "both included, for each optimizer", metavar="LOW:HIGH:N")
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
    add("tensorboard", "also write TensorBoard logs (scalars per epoch, HParams) into each "
        "run's folder: tensorboard --logdir results", action="store_true")
    add("divergence_threshold", "end a run as diverged once its loss exceeds this "
        "(default: once its cross-entropy exceeds 2 ln(classes); a non-finite loss always "
        "does)", type=float, metavar="LOSS")
    add("from_history", "repeat the run recorded in this history.json (its config; "
        "flags still override)", metavar="PATH")

    group = parser.add_argument_group("scale out (README: Scale out)")
    add("workers", "train up to N runs at once, each in its own process, the CPU threads "
        "(and GPUs) divided between them (default 1: in this process)", type=int, metavar="N")
    add("threads_per_run", "TensorFlow CPU threads of each run (default: cores / workers; "
        "equal values give bit-identical histories however runs are scheduled)", type=int,
        metavar="N")
    add("ray", "run every run as a task of the Ray cluster at ADDRESS (host:port, or auto: "
        "the one started on this machine); --output_dir must be on a disk all nodes share",
        metavar="ADDRESS")

    add("distribute", "one run across devices (README: One run across devices): none, "
        "mirrored (every GPU here, or --replicas logical CPU devices) or multi_worker (the "
        "machines of TF_CONFIG; needs --experiment); the batch size is global (default none)",
        choices=DISTRIBUTE_CHOICES, metavar="MODE")
    add("replicas", "mirrored: the first N GPUs (default all), or N logical CPU devices "
        "where there is no GPU (default 2)", type=int, metavar="N")
    add("scale_lr", "multiply learning rates by the replicas in sync (linear, Goyal et al. "
        "2017) or their square root (sqrt), for a global batch raised with the replicas "
        "(default none)", choices=SCALE_LR_CHOICES, metavar="RULE")

    add("mixed_precision", "compute in 16 bits, variables in float32: mixed_float16 with "
        "Keras's loss scaling on a GPU, mixed_bfloat16 on a CPU", action="store_true")
    add("jit_compile", "XLA compilation: auto (on a GPU only), on or off (default auto)",
        choices=JIT_CHOICES)

    group = parser.add_argument_group("learning-rate schedule (formulas below)")
    add("lr_schedule", f"{', '.join(SCHEDULES)} (default constant)", choices=SCHEDULES,
        metavar="NAME")
    add("lr_decay_rate", "the schedule's factor (default 0.5)", type=float, metavar="RATE")
    add("lr_decay_epochs", "epochs per step, time constant, or cosine length (default 1; "
        "cosine: the rest of the run)", type=int, metavar="E")
    add("lr_patience", "plateau: epochs without val_loss improvement before the rate is "
        "multiplied by --lr_decay_rate (default 5)", type=int, metavar="EPOCHS")
    add("warmup_epochs", "first raise the learning rate linearly from 0 over W epochs "
        "(default 0)", type=int, metavar="W")

    group = parser.add_argument_group("regularisation and measurements")
    add("l2", "add L2 * sum(kernel ** 2) of every conv and dense kernel to the loss "
        "(default 0; compare --weight_decay below)", type=float, metavar="L2")
    add("dropout", "replace every dropout rate of the model by RATE (default: the "
        "model's own)", type=float, metavar="RATE")
    add("batch_norm", "false removes the batch normalisation of cnn and cifar_cnn "
        "(default true; the mlp has none)", type=boolean, metavar="true|false")
    add("early_stopping", "stop once val_loss has not improved for PATIENCE epochs; the "
        "best epoch's weights are restored and tested", type=int, metavar="PATIENCE")
    add("target", "record the first epoch, and its time, at which validation accuracy "
        "reaches ACCURACY (training goes on)", type=float, metavar="ACCURACY")
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
    from analysis.history import HistoryError, read_history

    try:
        return read_history(path)["config"]
    except HistoryError as error:
        raise ConfigError(str(error)) from None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(argument.split("=")[0] == "--suite" for argument in argv):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from experiments.benchmark_cli import main as run_suite
        from plotting.benchmark import draw_figures

        return run_suite(argv, PROG, draw_figures=draw_figures)
    try:
        config = parse_config(argv)
    except ConfigError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
    from experiments.driver import run_experiment

    return run_experiment(config, prog=PROG, argv=argv)


if __name__ == "__main__":
    quiet_tensorflow_start()  # before TensorFlow is imported: drops its start-up lines
    raise SystemExit(main())
