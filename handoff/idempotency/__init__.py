"""Idempotent create: remembered responses by (tenant, Idempotency-Key), in memory or Redis."""

from .base import Begun, IdempotencyStore, InUse, Outcome, Remembered, Reused
from .memory import MemoryIdempotency

__all__ = ["Begun", "IdempotencyStore", "InUse", "MemoryIdempotency", "Outcome", "Remembered",
           "Reused"]
