"""One training run: the loop, its callbacks, checkpoints, input pipeline and schedules.

Importing this package imports nothing heavy; its modules import TensorFlow/Keras.
"""
