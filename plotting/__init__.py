"""Figures from history files: `plot_results.py` reads results/ through this package.

Nothing here imports TensorFlow; matplotlib is imported by the modules that draw.

runs.py     find and select runs in a results tree (JSON only)
style.py    the fixed colour of each optimizer, and the order they are listed in
curves.py   training curves: loss and accuracy against epoch, mean and band over seeds
output.py   where figures go, writing them atomically, showing them on a screen
"""
