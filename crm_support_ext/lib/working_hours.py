"""Working-hour arithmetic on a sorted list of work intervals.

Plain Python (no Odoo): the callers fetch the intervals of a calendar once
(``resource.calendar._work_intervals_batch``) and answer many questions
against them, so that the number of queries does not grow with the number of
tickets.  Intervals are ``(start, stop)`` pairs of aware datetimes, sorted and
not overlapping (what ``Intervals`` yields).
"""

from bisect import bisect_right
from datetime import timedelta

HOUR = timedelta(hours=1)


class WorkIntervals:
    """Sorted work intervals with the cumulated hours before each one."""

    def __init__(self, intervals):
        self.intervals = [(start, stop) for start, stop in intervals if stop > start]
        self.stops = [stop for _start, stop in self.intervals]
        self.cumulated = []
        total = 0.0
        for start, stop in self.intervals:
            self.cumulated.append(total)
            total += (stop - start) / HOUR
        self.total = total

    def _hours_until(self, moment):
        """Working hours from the first interval's start until ``moment``."""
        index = bisect_right(self.stops, moment)
        hours = self.cumulated[index] if index < len(self.intervals) else self.total
        if index < len(self.intervals):
            start, _stop = self.intervals[index]
            if moment > start:
                hours += (moment - start) / HOUR
        return hours

    def hours_between(self, start, end):
        """Working hours between two moments (0 when ``end <= start``)."""
        if not self.intervals or end <= start:
            return 0.0
        return max(0.0, self._hours_until(end) - self._hours_until(start))

    def plan(self, start, hours):
        """The moment ``hours`` working hours after ``start``; ``start`` for
        ``hours <= 0``; None when the intervals end before."""
        if hours <= 0:
            return start
        target = self._hours_until(start) + hours
        # first interval whose cumulated end reaches the target
        for index in range(bisect_right(self.stops, start), len(self.intervals)):
            begin, stop = self.intervals[index]
            end_hours = self.cumulated[index] + (stop - begin) / HOUR
            if end_hours >= target - 1e-9:
                return begin + (target - self.cumulated[index]) * HOUR
        return None
