"""Real-time processing: a streaming detector and alarm events.

:class:`StreamingDetector` fits any detector of the package and answers each new
reading as it arrives (one ``decision_function`` value per new row, from the readings
up to that row), with a state that survives a restart; :func:`alarm_events` groups a
detector's per-row predictions into events (start, end, the row where each was raised,
size, worst score) with a minimum duration and a suppression period, so that a noisy
stretch pages once; :class:`AlarmAggregator` does the same online, chunk by chunk.
"""

from ._alarms import AlarmAggregator, alarm_events
from ._detector import StreamingDetector

__all__ = ["AlarmAggregator", "StreamingDetector", "alarm_events"]
