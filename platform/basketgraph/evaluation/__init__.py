"""Judging recommenders: ranking metrics, confidence intervals, reports."""
