"""OCI registry adapter: release images present, their digests and platforms, and signatures."""

from cockpit.sources.oci.auth import Challenge, RegistryAuth, parse_challenges
from cockpit.sources.oci.manifest import MANIFEST_ACCEPT, cosign_signature_tag
from cockpit.sources.oci.registry import OciRegistryAdapter, normalize_image

__all__ = [
    "MANIFEST_ACCEPT",
    "Challenge",
    "OciRegistryAdapter",
    "RegistryAuth",
    "cosign_signature_tag",
    "normalize_image",
    "parse_challenges",
]
