"""Build-time model metadata from NVIDIA's NGC API: generate, detect EU models, validate, diff."""
