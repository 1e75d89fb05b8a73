"""Figures from history files: `plot_results.py` reads results/ through this package.

Nothing here imports TensorFlow at import time; matplotlib is imported by the
modules that draw, Keras only by `landscape.trajectory`, which runs optimizers,
and TensorFlow by `second_order`'s paths, which differentiate the functions.

runs.py              find and select runs in a results tree (JSON only)
style.py             the fixed colour of each optimizer, and the order they are listed in
curves.py            loss, accuracy or learning rate against epoch, mean and band over seeds
sensitivity.py       validation accuracy against learning rate (DeepOBS), mean ± std over seeds
landscape.py         2-D test functions, and the paths our optimizers take on them (Keras)
second_order.py      Newton's method and L-BFGS on the same functions (TensorFlow autodiff)
wolfe.py             the strong-Wolfe line search of L-BFGS (Nocedal & Wright, Alg. 3.5, 3.6)
landscape_figure.py  those paths over the contours, and f against step
layout.py            the legend and title of a figure kept inside it, the figure grown to hold them
output.py            where figures go, writing them atomically, showing them on a screen
"""
