"""Bulk exports of cases (CSV, GeoJSON), streamed."""
