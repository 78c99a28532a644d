"""Segmentation: rule segments, clustering on mixed variables, and buyer personas."""
