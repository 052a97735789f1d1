"""Periodic jobs (being written)."""
