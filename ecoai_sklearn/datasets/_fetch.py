"""Downloaders for LEAD1.0, the AIOps KPI slice and NAB, and the bundled NAB sample.

Every loader returns the shared format of :func:`load_series_csv`. Raw upstream files are
cached under :func:`get_data_home`; conversion to the shared format happens at load time.

Integrity: a file whose SHA-256 is listed in ``_REMOTE`` is checked against it after
download. For the others no reference checksum could be computed when this module was
written (no network); their SHA-256 is recorded in ``<file>.sha256`` beside the cached
file on first download (or first use of a file put there by hand) and every later load
checks the cache against that record. This
detects a corrupted or altered cache, not a compromised first download.
"""

import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from collections import namedtuple
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils import StrOptions, validate_params
from ._csv import _pack

RemoteFile = namedtuple("RemoteFile", ["filename", "url", "sha256"])

_REMOTE = {
    # LEAD1.0 (Gulati & Arjunan, BuildSys 2022): 200 buildings, hourly, year 2016.
    # Checksum and size (10,027,589 bytes) as listed by independent public projects that
    # downloaded this file; not recomputed here.
    "lead": RemoteFile(
        "lead1.0-small.zip",
        "https://raw.githubusercontent.com/samy101/lead-dataset/main/data/lead1.0-small.zip",
        "b0e34c66c0c4ce780b7bb19b199d33e19210675f16be102a5ac32d6b22e39d8f",
    ),
    # One AIOps 2018 KPI, first month, as shipped by datamllab/tods (Apache-2.0).
    "kpi": RemoteFile(
        "kpi.csv",
        "https://raw.githubusercontent.com/datamllab/tods/master/datasets/anomaly/raw_data/kpi.csv",
        None,
    ),
    "nab_windows": RemoteFile(
        "combined_windows.json",
        "https://raw.githubusercontent.com/numenta/NAB/master/labels/combined_windows.json",
        None,
    ),
}
_NAB_DATA_URL = "https://raw.githubusercontent.com/numenta/NAB/master/data/{name}.csv"
NAB_SERIES = (
    "realKnownCause/machine_temperature_system_failure",
    "realKnownCause/ambient_temperature_system_failure",
    "realKnownCause/nyc_taxi",
    "realKnownCause/cpu_utilization_asg_misconfiguration",
    "realKnownCause/ec2_request_latency_system_failure",
)
_SAMPLES = {"nyc_taxi": "realKnownCause/nyc_taxi"}
_ORDER = [StrOptions({"raise", "warn", "ignore"})]
# Parameters every downloader takes.
_FETCH_CONSTRAINTS = {
    "data_home": [str, os.PathLike, None],
    "download_if_missing": ["boolean"],
    "as_frame": ["boolean"],
}


def get_data_home(data_home=None):
    """Return the folder where downloaded datasets are cached, creating it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder. ``None`` uses the ``ECOAI_DATA`` environment variable, or
        ``~/ecoai_data`` when it is not set.

    Returns
    -------
    data_home : pathlib.Path
        The folder, with ``~`` expanded.

    Examples
    --------
    >>> import tempfile
    >>> from ecoai_sklearn.datasets import get_data_home
    >>> folder = get_data_home(tempfile.mkdtemp())
    >>> folder.is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get("ECOAI_DATA", os.path.join("~", "ecoai_data"))
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_file(remote, folder, *, download_if_missing):
    """Path of the cached raw file, downloading and verifying it when needed."""
    path = folder / remote.filename
    record = path.with_name(path.name + ".sha256")
    if path.exists():
        expected = record.read_text().split()[0] if record.exists() else remote.sha256
        digest = _sha256(path)
        if expected is not None and digest != expected:
            raise OSError(
                f"The cached file {path} does not match its checksum {expected}: it is "
                "corrupted or was changed. Delete it to download it again."
            )
        if not record.exists():  # a file put there by hand: record it on first use
            record.write_text(f"{digest}  {remote.filename}\n")
        return path
    if not download_if_missing:
        raise OSError(
            f"{path} is not in the data cache and download_if_missing=False; pass "
            f"download_if_missing=True or put the file from {remote.url} there."
        )
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(remote.url, timeout=60) as response:
            with open(partial, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise ConnectionError(
            f"Could not download {remote.url} ({exc}). Check the network connection, "
            f"or download the file by hand to {path}."
        ) from exc
    digest = _sha256(partial)
    if remote.sha256 is not None and digest != remote.sha256:
        partial.unlink()
        raise OSError(
            f"The file downloaded from {remote.url} has SHA-256 {digest}, expected "
            f"{remote.sha256}: the download is corrupted or the upstream file changed."
        )
    os.replace(partial, path)
    record.write_text(f"{digest}  {remote.filename}\n")
    return path


@validate_params(
    {"buildings": ["array-like", None], "on_bad_order": _ORDER, **_FETCH_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def fetch_lead(
    *,
    buildings=None,
    data_home=None,
    download_if_missing=True,
    as_frame=False,
    on_bad_order="raise",
):
    """Download (once) and load LEAD1.0 hourly electricity meters with point labels.

    The file ``lead1.0-small.zip`` of the LEAD1.0 repository (Gulati & Arjunan, BuildSys
    2022; 200 commercial buildings, hourly readings of 2016 with hand-made anomaly labels)
    is downloaded into ``<data_home>/lead`` and checked against its SHA-256. The licence
    of the data is unclear (the repository has none at present): use it for research, do
    not redistribute it.

    Parameters
    ----------
    buildings : array-like of int, default=None
        Building ids to load; ``None`` loads all of them.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Whether to download the file when it is not cached; if False, a missing file
        raises an OSError.
    as_frame : bool, default=False
        Return one long DataFrame instead of a dict, as in :func:`load_series_csv`.
    on_bad_order : {"raise", "warn", "ignore"}, default="raise"
        What to do with duplicated or unsorted timestamps, as in :func:`load_series_csv`.

    Returns
    -------
    data : dict of Bunch or DataFrame
        Keyed by ``"lead:building_<id>"``; see :func:`load_series_csv`. Missing
        readings are NaN; labels are the published ones (a missing label counts as 0).

    Raises
    ------
    ConnectionError
        If the file is not cached and cannot be downloaded.
    OSError
        If a checksum does not match, or the file is missing and
        ``download_if_missing=False``.
    """
    path = _fetch_file(
        _REMOTE["lead"], get_data_home(data_home) / "lead", download_if_missing=download_if_missing
    )
    with zipfile.ZipFile(path) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(member) as stream:
            raw = pd.read_csv(stream)
    frame = _lead_frame(raw)
    series = None if buildings is None else [f"lead:building_{int(b)}" for b in buildings]
    return _pack(
        frame, series=series, as_frame=as_frame, on_bad_order=on_bad_order, source="LEAD1.0"
    )


def _lead_frame(raw):
    """LEAD columns ``building_id, timestamp, meter_reading, anomaly`` -> shared format."""
    _require(raw, ("building_id", "timestamp", "meter_reading", "anomaly"), "LEAD1.0")
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(raw["timestamp"]),
            "value": pd.to_numeric(raw["meter_reading"]).astype(np.float64),
            "label": raw["anomaly"].fillna(0).astype(np.int64),
            "series_id": "lead:building_" + raw["building_id"].astype(str),
        }
    )
    # Stable sort: rows of a building together, in time order, file order among equals.
    order = np.lexsort((frame["timestamp"].to_numpy(), raw["building_id"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


@validate_params(
    _FETCH_CONSTRAINTS,
    prefer_skip_nested_validation=True,
)
def fetch_kpi(*, data_home=None, download_if_missing=True, as_frame=False):
    """Download (once) and load one AIOps 2018 KPI with point labels.

    KPI ``0efb375b-b902-3661-ab23-9a0bb799f4e3`` of the AIOps Challenge 2018
    (NetManAIOps/KPI-Anomaly-Detection), its first month at 5-minute steps (8,784 rows,
    13 anomalous points), as shipped by the TODS repository (datamllab/tods,
    Apache-2.0). Unix times become UTC timestamps without time zone.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Whether to download the file when it is not cached.
    as_frame : bool, default=False
        Return one long DataFrame instead of a dict, as in :func:`load_series_csv`.

    Returns
    -------
    data : dict of Bunch or DataFrame
        Keyed by ``"kpi:<KPI id>"``; see :func:`load_series_csv`.

    Raises
    ------
    ConnectionError
        If the file is not cached and cannot be downloaded.
    OSError
        If the cached file does not match the checksum recorded at download, or the
        file is missing and ``download_if_missing=False``.
    """
    path = _fetch_file(
        _REMOTE["kpi"], get_data_home(data_home) / "kpi", download_if_missing=download_if_missing
    )
    raw = pd.read_csv(path)
    _require(raw, ("timestamp", "value", "label", "KPI_ID"), "the KPI file")
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(raw["timestamp"], unit="s"),
            "value": raw["value"].astype(np.float64),
            "label": raw["label"].astype(np.int64),
            "series_id": "kpi:" + raw["KPI_ID"].astype(str),
        }
    )
    return _pack(frame, series=None, as_frame=as_frame, on_bad_order="raise", source="KPI")


@validate_params(
    {"series": [str, "array-like", None], "on_bad_order": _ORDER, **_FETCH_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def fetch_nab(
    series=None, *, data_home=None, download_if_missing=True, as_frame=False, on_bad_order="warn"
):
    """Download (once) and load series of the Numenta Anomaly Benchmark with labels.

    Each series file (``data/<series>.csv`` of numenta/NAB, MIT licence) and the label
    windows ``labels/combined_windows.json`` are cached under ``<data_home>/nab``. A row is
    labelled 1 when its timestamp lies inside one of the series' windows, ends included
    (NAB's rule; about 10 % of each series).

    Parameters
    ----------
    series : str or array-like of str, default=None
        NAB series names such as ``"realKnownCause/nyc_taxi"``; ``None`` loads the five
        ``realKnownCause`` series of the team's ``nab.csv`` (``NAB_SERIES``).
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Whether to download files that are not cached.
    as_frame : bool, default=False
        Return one long DataFrame instead of a dict, as in :func:`load_series_csv`.
    on_bad_order : {"raise", "warn", "ignore"}, default="warn"
        As in :func:`load_series_csv`. The default warns because two of the default
        series repeat timestamps upstream (``machine_temperature_system_failure`` repeats
        an hour on 2014-01-07, ``ec2_request_latency_system_failure`` has eleven rows at
        2014-03-09 03:00).

    Returns
    -------
    data : dict of Bunch or DataFrame
        Keyed by ``"nab:<series>"``; see :func:`load_series_csv`.

    Raises
    ------
    ConnectionError
        If a file is not cached and cannot be downloaded.
    OSError
        If a cached file does not match the checksum recorded at download, or a file is
        missing and ``download_if_missing=False``.
    ValueError
        If a series is not in NAB's label file.
    """
    names = NAB_SERIES if series is None else ([series] if isinstance(series, str) else series)
    folder = get_data_home(data_home) / "nab"
    labels = _fetch_file(_REMOTE["nab_windows"], folder, download_if_missing=download_if_missing)
    windows = json.loads(labels.read_text())
    frames = []
    for name in names:
        key = f"{name}.csv"
        if key not in windows:
            raise ValueError(
                f"series {name!r} is not in NAB's label file; expected names such as "
                f"{NAB_SERIES[2]!r}."
            )
        remote = RemoteFile(name.replace("/", "__") + ".csv", _NAB_DATA_URL.format(name=name), None)
        path = _fetch_file(remote, folder, download_if_missing=download_if_missing)
        frames.append(_nab_frame(name, pd.read_csv(path), windows[key]))
    frame = pd.concat(frames, ignore_index=True)
    return _pack(frame, series=None, as_frame=as_frame, on_bad_order=on_bad_order, source="NAB")


def _nab_frame(name, raw, windows):
    """NAB ``timestamp, value`` plus label windows -> shared format."""
    _require(raw, ("timestamp", "value"), f"NAB series {name!r}")
    timestamps = pd.to_datetime(raw["timestamp"])
    label = np.zeros(len(raw), dtype=np.int64)
    for start, end in windows:
        label[
            ((timestamps >= pd.Timestamp(start)) & (timestamps <= pd.Timestamp(end))).to_numpy()
        ] = 1
    return pd.DataFrame(
        {
            "timestamp": timestamps,
            "value": raw["value"].astype(np.float64),
            "label": label,
            "series_id": f"nab:{name}",
        }
    )


def _require(raw, columns, what):
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise ValueError(
            f"{what} lacks the column(s) {missing} (found {list(raw.columns)}); the upstream "
            "format may have changed."
        )


@validate_params(
    {"name": [StrOptions(set(_SAMPLES))], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_sample(name="nyc_taxi", *, as_frame=False):
    """Load a small labelled series bundled with the package (no download).

    ``"nyc_taxi"``: NAB's ``realKnownCause/nyc_taxi`` (New York City taxi passengers per
    30 minutes, July 2014 - January 2015, 10,320 rows; five labelled windows around the
    NYC marathon, Thanksgiving, Christmas, New Year and a blizzard; 1,035 anomalous rows).
    NAB is MIT-licensed; see ``data/README.md`` in this package for provenance.

    Parameters
    ----------
    name : {"nyc_taxi"}, default="nyc_taxi"
        The sample.
    as_frame : bool, default=False
        Return one long DataFrame instead of a dict, as in :func:`load_series_csv`.

    Returns
    -------
    data : dict of Bunch or DataFrame
        As :func:`fetch_nab` returns for that series.

    Examples
    --------
    >>> from ecoai_sklearn.datasets import load_sample
    >>> taxi = load_sample("nyc_taxi")["nab:realKnownCause/nyc_taxi"]
    >>> taxi.X.shape, int(taxi.y.sum())
    ((10320, 1), 1035)
    >>> str(taxi.timestamps[1] - taxi.timestamps[0])
    '0 days 00:30:00'
    """
    series = _SAMPLES[name]
    folder = resources.files(__package__) / "data"
    windows = pd.read_csv(folder / "nab_windows.csv")
    windows = windows.loc[windows["series"] == series, ["start", "end"]].to_numpy()
    raw = pd.read_csv(folder / f"{name}.csv")
    frame = _nab_frame(series, raw, windows)
    return _pack(frame, series=None, as_frame=as_frame, on_bad_order="raise", source=name)
