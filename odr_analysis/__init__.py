"""odr-analysis."""
