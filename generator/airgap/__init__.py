"""Air-gapped clusters: the image list to mirror and digest pinning through a lock file."""
