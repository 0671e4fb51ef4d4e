"""A small real container image, built on the spot as an OCI image layout (no downloads).

One gzip-compressed tar layer holding a few files, an image config for this machine's
platform (containerd pulls only images for its own platform), a manifest and index.json
naming it by tag: what `skopeo copy oci:DIR:TAG docker://...` pushes.
"""

import gzip
import hashlib
import io
import json
import os
import platform
import tarfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
GO_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}  # machine -> GOARCH


@dataclass(frozen=True)
class OciImage:
    layout: Path           # the OCI image layout directory
    files: dict            # path inside the image -> bytes
    layer_digest: str      # of the compressed layer blob, as pushed
    config_digest: str
    manifest_digest: str


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _tar(files):
    """An uncompressed tar of `files`, byte-for-byte the same for the same files."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _descriptor(media_type, data):
    return {"mediaType": media_type, "digest": digest(data), "size": len(data)}


def _json(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def build_oci_image(layout, tag, files):
    """Write an image with one layer holding `files` (name -> bytes) to the directory `layout`."""
    tar = _tar(files)
    layer = gzip.compress(tar, mtime=0)
    config = _json({
        "architecture": GO_ARCHITECTURES[platform.machine()], "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [digest(tar)]},
        "history": [{"created_by": "acr-credential-provider e2e test"}],
    })
    manifest = _json({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                      "config": _descriptor(CONFIG_TYPE, config),
                      "layers": [_descriptor(LAYER_TYPE, layer)]})
    blobs = Path(layout) / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for blob in (layer, config, manifest):
        (blobs / digest(blob).removeprefix("sha256:")).write_bytes(blob)
    index = {"schemaVersion": 2, "manifests": [
        {**_descriptor(MANIFEST_TYPE, manifest),
         "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    (Path(layout) / "index.json").write_bytes(_json(index))
    (Path(layout) / "oci-layout").write_bytes(_json({"imageLayoutVersion": "1.0.0"}))
    return OciImage(Path(layout), dict(files), digest(layer), digest(config), digest(manifest))


def hello_files():
    """The image's files: a greeting and a MiB of random bytes. Those do not compress, so the
    layer crosses the fake's relay in many pieces each way, and no earlier image can pass for
    this one."""
    return {"hello.txt": b"hello from the acr-credential-provider e2e test\n",
            "random.bin": os.urandom(1 << 20)}
