"""civicgrid — 城市精细化治理平台."""

__version__ = "0.1.0"
