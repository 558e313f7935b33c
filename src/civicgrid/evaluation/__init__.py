"""Civilized-city evaluation (文明城市测评): indicator system, sampled inspection, rectification, scores."""
