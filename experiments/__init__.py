"""Experiments: the configuration schema, the grid, the plan of runs and how they are executed.

Importing this package imports nothing heavy; only executing runs imports TensorFlow.
"""
