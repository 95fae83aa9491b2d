"""The one memory probe of the bench and the soak run: resident memory now and at its peak."""

from __future__ import annotations

import resource
import sys

import psutil

_MIB = 2**20


def rss_mib() -> float:
    """Resident memory of this process now, in MiB."""
    return psutil.Process().memory_info().rss / _MIB


def peak_rss_mib() -> float:
    """Highest resident memory of this process so far, in MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux counts ru_maxrss in KiB, macOS in bytes.
    return peak / _MIB if sys.platform == "darwin" else peak / 1024
