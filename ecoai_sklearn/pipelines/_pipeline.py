"""DetectorPipeline: the Pipeline of the factories, with runs, names and pandas output."""

import inspect

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if

from ..utils import channel_names, group_bounds, sub_estimators

_CONTAINERS = ("default", "pandas")


class DetectorPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` of a detector: several runs, names, DataFrames.

    The factories of :mod:`ecoai_sklearn.pipelines` return this subclass. It is a
    Pipeline in every way (``named_steps``, ``set_params``, slicing, ``clone``, grid
    search), with three differences:

    - ``fit(X, y, groups=...)`` fits on a series of several independent runs one after
      the other: ``groups`` labels each row's run and goes to every step whose ``fit``
      takes ``groups`` (the windower, the window scorers, an
      :class:`EnsembleDetector`), which never let a window cross from one run into the
      next (see Notes).
    - ``set_output`` sets the container of what this pipeline's own ``transform``
      returns (a DataFrame indexed like ``X``, its columns named along the whole chain
      by ``get_feature_names_out``), without reconfiguring the fitted steps, so that
      it works before or after ``fit`` and never makes a step see other inputs than it
      was fitted on.
    - ``get_feature_names_out`` starts from the channel names seen in ``fit``
      (``ch0``, ``ch1``, ... for an array), so that a slice ending with a scorer names
      its error columns after the channels (``knn_error_voltage``,
      ``value_voltage``).

    Parameters
    ----------
    steps : list of (str, estimator)
        As for :class:`~sklearn.pipeline.Pipeline`.
    memory : str or object with the joblib.Memory interface, default=None
        As for :class:`~sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        As for :class:`~sklearn.pipeline.Pipeline`, whose attributes (``named_steps``,
        ``n_features_in_``, ``feature_names_in_``) this class has too.

    See Also
    --------
    detection_frame : Scores, labels and channel contributions indexed like ``X``.
    sklearn.pipeline.Pipeline : The parent class.

    Notes
    -----
    **Several runs.** Concatenating independent runs puts false boundaries inside
    windows: a window reaching from the end of one run into the start of the next is
    unlike any real stretch of either, so it trains the model on shapes that never
    happen and is flagged when scored. With ``groups``, each step that cuts windows
    treats each run as a series of its own: the scorers train only on windows inside
    one run and score each run's rows as if the run were transformed alone (its first
    rows rest on fewer windows, as a series' first rows do). ``X`` may be a DataFrame
    with a DatetimeIndex: each run must be on its own regular grid (see
    :func:`ecoai_sklearn.datasets.regularize`), and the steps then see the runs as
    consecutive rows. ``groups`` reaches only the steps whose ``fit`` takes it: a
    ``Differencer`` (``difference=True``) still differences across the boundary, so
    each run's first difference is a jump. To score several runs, score each on its
    own, or pass ``groups`` to :func:`detection_frame`.

    **Output container.** scikit-learn's ``Pipeline.set_output`` reconfigures every
    step, so that called after ``fit`` each step receives DataFrames although it was
    fitted on arrays, and scikit-learn warns "X has feature names, but ... was fitted
    without feature names" on every call. Here only this pipeline's ``transform``
    output is converted; ``predict``, ``score_samples`` and ``decision_function``
    return arrays, as scikit-learn's outlier detectors do. (The global
    ``sklearn.set_config(transform_output="pandas")`` still reconfigures every step:
    set it before ``fit``, or not at all.)

    Examples
    --------
    >>> import pandas as pd
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_knn_detector
    >>> X, _, _ = make_industrial_load(n_days=21, random_state=0, as_frame=True)
    >>> detector = make_knn_detector().fit(X[:1344])
    >>> type(detector).__name__
    'DetectorPipeline'
    >>> features = detector[:-1].set_output(transform="pandas").transform(X[1344:])
    >>> features.columns.tolist(), features.index.equals(X.index[1344:])
    (['knn_error'], True)
    """

    # ------------------------------------------------------------------ several runs
    def fit(self, X, y=None, *, groups=None, **params):
        """Fit the steps one after the other; ``groups`` marks independent runs.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timestamps, n_channels)
            Training series, rows in time order (runs one after the other).
        y : array-like of shape (n_timestamps,), default=None
            Labels (1 = anomaly), passed to every step.
        groups : array-like of shape (n_timestamps,), default=None
            Run label of each row, each run one contiguous block of rows: routed to
            every step whose ``fit`` takes ``groups``. None: ``X`` is one run.
        **params : dict
            Parameters of the steps' ``fit``, as ``<step>__<param>``.

        Returns
        -------
        self : DetectorPipeline
            The fitted pipeline.
        """
        X, params = self._route_groups(X, groups, params)
        return super().fit(X, y, **params)

    @available_if(Pipeline._can_fit_transform)
    def fit_transform(self, X, y=None, *, groups=None, **params):
        """Fit, then transform ``X`` (``groups`` as for :meth:`fit`).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timestamps, n_channels)
            Training series.
        y : array-like of shape (n_timestamps,), default=None
            Labels (1 = anomaly).
        groups : array-like of shape (n_timestamps,), default=None
            Run label of each row, as for :meth:`fit`.
        **params : dict
            Parameters of the steps' ``fit``, as ``<step>__<param>``.

        Returns
        -------
        Xt : ndarray or DataFrame
            Output of the last step (a DataFrame with ``set_output(transform="pandas")``).
        """
        Xfit, params = self._route_groups(X, groups, params)
        return self._wrap(super().fit_transform(Xfit, y, **params), X)

    def _route_groups(self, X, groups, params):
        """``X`` ready for runs, and ``params`` with ``<step>__groups`` added."""
        if groups is None:
            return X, params
        keys = _step_keys(self)
        if not keys:
            raise ValueError(
                "groups was given, but no step of this pipeline takes groups in fit: "
                "none cuts windows that could cross from one run into the next."
            )
        starts, stops, labels = group_bounds(groups, n_rows(X))
        X = _runs_on_rows(X, starts, stops, labels)
        clash = sorted(set(keys) & set(params))
        if clash:
            raise ValueError(f"pass groups once: groups and {clash} were both given.")
        return X, {**params, **dict.fromkeys(keys, groups)}

    # ------------------------------------------------------------------ output
    def set_output(self, *, transform=None):
        """Set the container of this pipeline's ``transform`` output.

        Unlike scikit-learn's ``Pipeline.set_output``, the steps are not reconfigured:
        they keep exchanging what they exchanged in ``fit``, and only the final output
        of :meth:`transform` and :meth:`fit_transform` is converted, so that this
        works after ``fit`` too without feature-name warnings.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            ``"pandas"``: a 2D output becomes a DataFrame indexed like ``X`` (its index
            when ``X`` is a DataFrame), with the columns of :meth:`get_feature_names_out`;
            a 3D output (windows) stays an ndarray. ``"default"``: arrays. None:
            unchanged.

        Returns
        -------
        self : DetectorPipeline
        """
        if transform is None:
            return self
        if transform not in _CONTAINERS:
            raise ValueError(f"transform must be 'default', 'pandas' or None; got {transform!r}.")
        self._sklearn_output_config = {"transform": transform}
        return self

    @available_if(Pipeline._can_transform)
    def transform(self, X, **params):
        """Transform ``X`` through the steps (see :meth:`set_output` for the container).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timestamps, n_channels)
            Series to transform.
        **params : dict
            Metadata for the steps (with scikit-learn's metadata routing enabled).

        Returns
        -------
        Xt : ndarray or DataFrame
            Output of the last step.
        """
        return self._wrap(super().transform(X, **params), X)

    def _wrap(self, Xt, X):
        config = getattr(self, "_sklearn_output_config", {}).get("transform", "default")
        if config != "pandas" or np.ndim(Xt) != 2:
            return Xt
        index = X.index if isinstance(X, pd.DataFrame | pd.Series) else None
        try:
            columns = list(self.get_feature_names_out())
        except (AttributeError, TypeError, ValueError):
            columns = None
        if isinstance(Xt, pd.DataFrame):
            Xt = Xt.to_numpy()
        if columns is not None and len(columns) != Xt.shape[1]:
            columns = None
        return pd.DataFrame(Xt, index=index, columns=columns)

    def __getitem__(self, ind):
        sub = super().__getitem__(ind)
        if isinstance(ind, slice) and hasattr(self, "_sklearn_output_config"):
            sub._sklearn_output_config = dict(self._sklearn_output_config)
        return sub

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, from the channel names along the whole chain.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Channel names of the input; default: those seen in ``fit``, else ``ch0``,
            ``ch1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if input_features is None:
            names = getattr(self, "feature_names_in_", None)
            n = getattr(self, "n_features_in_", None)
            if names is None and n is not None:
                input_features = channel_names(n)
        return super().get_feature_names_out(input_features)


def groups_keys(estimator):
    """The parameter names under which ``estimator.fit`` passes ``groups`` on.

    ``["groups"]`` for an estimator whose ``fit`` takes ``groups``; for a plain Pipeline,
    ``<step>__groups`` for each such step (recursively, through FeatureUnions whose
    branches route alike); ``[]`` when nothing takes it.
    """
    if takes_groups(estimator):
        return ["groups"]
    if hasattr(estimator, "steps"):
        return _step_keys(estimator)
    if hasattr(estimator, "transformer_list"):
        # a FeatureUnion passes the same fit parameters to every branch
        branches = [groups_keys(part) for part in sub_estimators(estimator)]
        if branches and all(keys == branches[0] for keys in branches):
            return branches[0]
    return []


def _step_keys(pipeline):
    """``<step>__groups`` for the steps of ``pipeline`` that take groups (recursively)."""
    keys = []
    for name, step in pipeline.steps:
        if step is None or isinstance(step, str):
            continue
        keys += [f"{name}__{key}" for key in groups_keys(step)]
    return keys


def takes_groups(estimator):
    """Whether ``estimator.fit`` has a ``groups`` parameter."""
    fit = getattr(estimator, "fit", None)
    if fit is None:
        return False
    try:
        return "groups" in inspect.signature(fit).parameters
    except (TypeError, ValueError):
        return False


def rows(X, start, stop):
    """Rows ``start .. stop - 1`` of an array or DataFrame (a view where possible)."""
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    return X[start:stop]


def n_rows(X):
    """Number of rows of an array-like (arrays, DataFrames, lists, objects with __array__)."""
    shape = getattr(X, "shape", None)
    if shape is not None:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return int(np.asarray(X).shape[0])


def _runs_on_rows(X, starts, stops, labels):
    """A DataFrame with a DatetimeIndex as consecutive rows, each run checked regular."""
    index = getattr(X, "index", None)
    if not isinstance(index, pd.DatetimeIndex):
        return X
    for start, stop, label in zip(starts, stops, labels):
        steps = np.diff(index[start:stop].as_unit("ns").asi8)
        if steps.size and (steps[0] <= 0 or (steps != steps[0]).any()):
            raise ValueError(
                f"groups: the run {label!r} is not on a regular time grid (a gap, a "
                "repeated timestamp or a changing step): put each run on its grid with "
                "ecoai_sklearn.datasets.regularize before fitting."
            )
    # the runs are regular one by one: the steps see them as consecutive rows
    return X.reset_index(drop=True)
