"""Webhook deliveries (Standard Webhooks): the queue, its backends, signing and the sender."""

from .base import Delivery, DeliveryQueue, DeliveryStatus
from .memory import MemoryQueue

__all__ = ["Delivery", "DeliveryQueue", "DeliveryStatus", "MemoryQueue"]
