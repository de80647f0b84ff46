"""Shared streams: each network's newest items read once per cycle and matched against every
business (one reader per network, its cursor in the store)."""
