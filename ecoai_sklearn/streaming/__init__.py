"""Real-time processing: alarm events from per-row anomaly flags.

:func:`alarm_events` groups a detector's per-row predictions into events (start, end,
the row where each was raised, size, worst score) with a minimum duration and a
suppression period, so that a noisy stretch pages once; :class:`AlarmAggregator` does
the same online, chunk by chunk, with a state that survives a restart.
"""

from ._alarms import AlarmAggregator, alarm_events

__all__ = ["AlarmAggregator", "alarm_events"]
