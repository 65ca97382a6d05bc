"""Reads (selectors), grouped by what they read; writes are in services/."""
