"""Scheduled jobs of the agreements domain."""
