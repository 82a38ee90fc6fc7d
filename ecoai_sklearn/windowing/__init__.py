"""Windowing of series at their dominant FFT periods.

:func:`find_periods` returns the dominant periods of a series, best first, found in the
spectrum that :func:`amplitude_spectrum` returns;
:class:`FFTWindower` turns a series ``(n_timestamps, n_channels)`` into one window per
timestamp ``(n_timestamps, window, n_channels)``, the window length chosen from those
periods or given.
"""

from ._periods import amplitude_spectrum, find_periods
from ._windower import FFTWindower

__all__ = ["FFTWindower", "amplitude_spectrum", "find_periods"]
