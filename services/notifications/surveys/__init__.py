"""Satisfaction surveys (seed 004): sent when a case closes, answered by a signed link without login."""
