"""Composite indicators: normalisation, weighting and outlier treatment (pure numpy/pandas)."""
