"""Sparse gradients: summing their repeated rows before any non-linear step."""

from keras import ops


def _is_sparse(gradient):
    # TensorFlow's IndexedSlices and SparseTensor carry `dense_shape`, JAX's
    # BCOO carries `nse`; the dense tensors of every backend have neither.
    return hasattr(gradient, "dense_shape") or hasattr(gradient, "nse")


def dense(gradient, variable):
    """`gradient` as a dense tensor shaped like `variable`.

    An `Embedding` gradient lists one row per looked-up token, so a batch that
    repeats a token repeats the row. Squaring such a gradient slice by slice
    (as Keras's built-ins do) gives `a ** 2 + b ** 2` where the dense gradient
    gives `(a + b) ** 2`. Adding the sparse gradient to zeros is how `keras.ops`
    densifies it: repeated rows are summed, and adding zero changes no value.
    Dense gradients pass through untouched, at no cost.
    """
    if _is_sparse(gradient):
        return ops.add(ops.zeros_like(variable), gradient)
    return gradient
