"""Execution strategies: a frozen config, a plan, and the slice due now given the order's state."""
