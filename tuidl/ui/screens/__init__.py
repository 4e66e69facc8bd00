"""Screens compose widgets; they hold no training logic."""
