"""Bianhe (边合): the platform for China's border and cross-border economic cooperation zones."""

__version__ = "0.1.0"
