"""Consistency checks of the state of compiled scikit-learn classes (private).

Pickle trusts these states; a model file is not trusted. scikit-learn's decision trees
and neighbour trees walk their node arrays in compiled code without bounds checks, so a
crafted child index or sample index could make them read outside their memory. Before
such an object receives its state, the indices are checked here: each tree child comes
after its parent and lies inside the tree (so walks end), every feature and sample index
is in range, and the distance metric's weights match the number of features.
"""

import numpy as np


def _fail(message):
    raise ValueError(message)


def _is_int(value, low=0):
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= low


def _mro_names(cls):
    return {base.__name__ for base in cls.__mro__}


def check_reduce_args(cls, args):
    """Check the constructor arguments of a compiled class before calling it."""
    if cls.__module__ == "sklearn.tree._tree" and cls.__name__ == "Tree":
        if len(args) != 3:
            _fail("Tree takes (n_features, n_classes, n_outputs).")
        n_features, n_classes, n_outputs = args
        if not (_is_int(n_features, 1) and _is_int(n_outputs, 1)):
            _fail("Tree: n_features and n_outputs must be positive integers.")
        if (
            not isinstance(n_classes, np.ndarray)
            or n_classes.shape != (n_outputs,)
            or n_classes.dtype.kind not in "iu"
            or (n_classes < 1).any()
        ):
            _fail("Tree: n_classes must be n_outputs positive integers.")
    elif args:
        _fail(f"{cls.__qualname__} takes no constructor arguments in a model file.")


def check_reduce_state(cls, args, state):
    """Check the state of a compiled class before its ``__setstate__`` runs."""
    names = _mro_names(cls)
    if cls.__module__ == "sklearn.tree._tree" and cls.__name__ == "Tree":
        _check_tree(args[0], state)
    elif names & {"BinaryTree64", "BinaryTree32"}:
        _check_binary_tree(state)


def _fields(array, names, what):
    if (
        not isinstance(array, np.ndarray)
        or array.ndim != 1
        or array.dtype.names is None
        or not set(names) <= set(array.dtype.names)
    ):
        _fail(f"{what} must be a 1-D structured array with fields {', '.join(names)}.")
    return [np.asarray(array[name]) for name in names]


def _check_tree(n_features, state):
    if not isinstance(state, dict):
        _fail("Tree state must be a dict.")
    nodes = state.get("nodes")
    left, right, feature = _fields(nodes, ("left_child", "right_child", "feature"), "Tree nodes")
    count = state.get("node_count")
    if not _is_int(count) or count > len(nodes) or not _is_int(state.get("max_depth")):
        _fail("Tree: node_count and max_depth must be integers within the node array.")
    left, right, feature = left[:count], right[:count], feature[:count]
    leaf = left == -1
    index = np.arange(count)
    inner = ~leaf
    if (right[leaf] != -1).any():
        _fail("Tree: a leaf has a right child.")
    if (
        (left[inner] <= index[inner]).any()
        or (right[inner] <= index[inner]).any()
        or (left[inner] >= count).any()
        or (right[inner] >= count).any()
    ):
        _fail("Tree: child indices must follow their parent and lie inside the tree.")
    if ((feature[inner] < 0) | (feature[inner] >= n_features)).any():
        _fail(f"Tree: split features must lie in [0, {n_features}).")


def _check_binary_tree(state):
    if not isinstance(state, tuple) or len(state) != 13:
        _fail("neighbour tree state must be a tuple of 13 items.")
    data, idx_array, node_data, node_bounds = state[:4]
    leaf_size, n_levels, n_nodes = state[4:7]
    metric, sample_weight = state[11], state[12]
    if not isinstance(data, np.ndarray) or data.ndim != 2:
        _fail("neighbour tree data must be a 2-D array.")
    n_samples, n_features = data.shape
    if (
        not isinstance(idx_array, np.ndarray)
        or idx_array.shape != (n_samples,)
        or idx_array.dtype.kind not in "iu"
        or ((idx_array < 0) | (idx_array >= n_samples)).any()
    ):
        _fail("neighbour tree: idx_array must hold one index in range per sample.")
    start, end, is_leaf = _fields(
        node_data, ("idx_start", "idx_end", "is_leaf"), "neighbour tree node_data"
    )
    if not (_is_int(leaf_size, 1) and _is_int(n_levels, 1) and _is_int(n_nodes, 1)):
        _fail("neighbour tree: leaf_size, n_levels and n_nodes must be positive integers.")
    if n_levels > 64 or n_nodes != 2**n_levels - 1 or len(node_data) != n_nodes:
        _fail("neighbour tree: n_nodes must be 2 ** n_levels - 1 and match node_data.")
    if ((start < 0) | (start > end) | (end > n_samples)).any():
        _fail("neighbour tree: node sample ranges must lie inside the data.")
    inner = np.flatnonzero(is_leaf == 0)
    if (2 * inner + 2 >= n_nodes).any():
        _fail("neighbour tree: an inner node has children outside the tree.")
    if (
        not isinstance(node_bounds, np.ndarray)
        or node_bounds.ndim != 3
        or node_bounds.shape[1:] != (n_nodes, n_features)
    ):
        _fail("neighbour tree: node_bounds must have shape (k, n_nodes, n_features).")
    if sample_weight is not None and (
        not isinstance(sample_weight, np.ndarray) or sample_weight.shape != (n_samples,)
    ):
        _fail("neighbour tree: sample_weight must hold one weight per sample.")
    _check_metric(metric, n_features)


def _check_metric(metric, n_features):
    from sklearn.metrics import DistanceMetric

    if not isinstance(metric, DistanceMetric):
        _fail("neighbour tree: the metric must be a scikit-learn DistanceMetric.")
    _, vec, mat = metric.__getstate__()[:3]
    name = type(metric).__name__
    if name.startswith("SEuclidean") and vec.shape != (n_features,):
        _fail(f"{name}: V must hold {n_features} variances.")
    if name.startswith("Minkowski") and vec.shape not in ((0,), (n_features,)):
        _fail(f"{name}: w must hold {n_features} weights.")
    if name.startswith("Mahalanobis") and mat.shape != (n_features, n_features):
        _fail(f"{name}: VI must be a {n_features} x {n_features} matrix.")
    if name.startswith("Haversine") and n_features != 2:
        _fail(f"{name} needs 2 features.")
