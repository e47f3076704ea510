"""Measuring the NLU pipeline: datasets, the pipeline run in-process, scores, reports."""
