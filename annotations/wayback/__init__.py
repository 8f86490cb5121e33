"""Wayback Machine submissions: each newly cited link sent to Save Page Now 2 (SPN2)."""
