"""Migrating pre-redesign NIM deployments from the shared project secrets to per-deployment ones."""
