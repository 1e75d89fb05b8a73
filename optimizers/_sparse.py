"""Sparse gradients: summing their repeated rows before anything else sees them."""

from keras import ops


def dense(gradient):
    """`gradient` as a dense tensor of its `dense_shape`, in the gradient's dtype.

    An `Embedding` gradient lists one row per looked-up token, so a batch that
    repeats a token repeats the row. Squaring or clipping such a gradient slice
    by slice (as Keras's built-ins do) gives `a ** 2 + b ** 2` where the dense
    gradient gives `(a + b) ** 2`. Rows are summed by `segment_sum` over the
    slices' indices, the computation of TensorFlow's own conversion
    (`tf.convert_to_tensor` of an `IndexedSlices` is an `unsorted_segment_sum`),
    so the result is, bit for bit, the dense gradient a caller would get by
    converting it. Dense gradients pass through untouched, at no cost.
    """
    if hasattr(gradient, "todense"):  # JAX's BCOO
        return gradient.todense()
    if not hasattr(gradient, "dense_shape"):  # dense
        return gradient
    if len(gradient.indices.shape) == 1:  # IndexedSlices: one index per row
        rows = ops.segment_sum(gradient.values, gradient.indices, gradient.dense_shape[0])
        return ops.reshape(rows, gradient.dense_shape)
    return ops.convert_to_tensor(gradient, sparse=False)  # SparseTensor: no repeats
