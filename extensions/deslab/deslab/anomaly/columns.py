"""Names of the columns an anomaly run adds to a table (shared by the workflow and its plots)."""

from __future__ import annotations

SCORE = "ANOMALY_SCORE"
RANK = "ANOMALY_RANK"
FLAG = "ANOMALY_FLAG"
