"""Reading results: the history schema, loading, grouping, statistics and tables.

Pure Python: nothing here imports TensorFlow or Keras, so results can be read
on a machine without them.
"""
