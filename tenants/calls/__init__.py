"""Calls: the telephony intake, each call as its own record, derived from the PBX's events (DESIGN.md, Calls)."""
