"""Training side of the toolkit: configuration, the one training loop, history files.

Importing this package imports nothing heavy: `history` and `summary` are pure
Python so that results can be read without TensorFlow.
"""
