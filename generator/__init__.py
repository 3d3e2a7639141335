"""nim-gitops: GitOps manifests for NVIDIA NIM on OpenShift AI and Open Data Hub."""

__version__ = "0.1.0"
