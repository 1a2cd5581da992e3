"""The complexity-plus-error search: the family contract, its configuration and engines."""

from __future__ import annotations

from bayesgrok.search.config import LogSchedule, SearchConfig
from bayesgrok.search.contract import Batch, Family, JaxFamily
from bayesgrok.search.engines import ENGINES, engine_entry, engine_for

__all__ = ["ENGINES", "Batch", "Family", "JaxFamily", "LogSchedule", "SearchConfig",
           "engine_entry", "engine_for"]
