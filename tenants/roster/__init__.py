"""Shift templates in local time, assignments, the rotation generator, and 24/7 coverage."""
