#!/usr/bin/env python3
"""Builds the container image: one OCI image per architecture, FROM scratch (the static
binary alone), in one multi-arch OCI layout and an `oci-archive` tar of it, without a
container daemon (Python's standard library only, byte-for-byte reproducible).

  packaging/container/build-oci.py VERSION OUT_DIR TRIPLE=BINARY [TRIPLE=BINARY ...]

Writes OUT_DIR/qbitrr-lite-VERSION-oci/ (oci-layout, index.json, blobs/sha256/...) and
OUT_DIR/qbitrr-lite-VERSION-oci.tar. Load it with
`podman load -i qbitrr-lite-VERSION-oci.tar` or
`skopeo copy oci-archive:qbitrr-lite-VERSION-oci.tar docker-daemon:qbitrr-lite:VERSION`.

The image, like qBitrr's: config and data under /config (a volume), the status port
6969, `qbitrr-lite run --config /config/config.toml --data-dir /config --log-stdout`,
and a HEALTHCHECK of `qbitrr-lite health` (Docker and Podman read it from the image
config; plain OCI runtimes ignore it).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

PLATFORMS = {
    "x86_64-unknown-linux-musl": {"architecture": "amd64", "os": "linux"},
    "aarch64-unknown-linux-musl": {"architecture": "arm64", "os": "linux", "variant": "v8"},
    "armv7-unknown-linux-musleabihf": {"architecture": "arm", "os": "linux", "variant": "v7"},
}
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
CREATED = "1970-01-01T00:00:00Z" if EPOCH == 0 else None


def created():
    if CREATED:
        return CREATED
    import datetime

    return datetime.datetime.fromtimestamp(EPOCH, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def blob(layout, data):
    """Stores data under blobs/sha256; returns its descriptor fields."""
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(binary):
    """The root filesystem: /qbitrr-lite, /config, /tmp; (gzipped tar, uncompressed digest)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, mode in (("config", 0o755), ("tmp", 0o1777)):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, EPOCH
            tar.addfile(info)
        with open(binary, "rb") as f:
            data = f.read()
        info = tarfile.TarInfo("qbitrr-lite")
        info.size, info.mode, info.mtime = len(data), 0o755, EPOCH
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    zipped = io.BytesIO()
    with gzip.GzipFile(fileobj=zipped, mode="wb", mtime=EPOCH, compresslevel=9) as gz:
        gz.write(tar_bytes)
    return zipped.getvalue(), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def image_config(platform, diff_id, version):
    config = {
        "created": created(),
        "architecture": platform["architecture"],
        "os": platform["os"],
        "config": {
            "Entrypoint": ["/qbitrr-lite"],
            "Cmd": ["run", "--config", "/config/config.toml", "--data-dir", "/config", "--log-stdout"],
            "WorkingDir": "/config",
            "Env": ["PATH=/"],
            "ExposedPorts": {"6969/tcp": {}},
            "Volumes": {"/config": {}},
            "StopSignal": "SIGTERM",
            "Labels": {
                "org.opencontainers.image.title": "qbitrr-lite",
                "org.opencontainers.image.version": version,
                "org.opencontainers.image.description": "Keeps qBittorrent and Radarr/Sonarr/Lidarr/Readarr in step, reading qBitrr's config.toml",
            },
            "Healthcheck": {
                "Test": ["CMD", "/qbitrr-lite", "health", "--config", "/config/config.toml"],
                "Interval": 60_000_000_000,
                "Timeout": 15_000_000_000,
                "StartPeriod": 60_000_000_000,
                "Retries": 3,
            },
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created(), "created_by": "packaging/container/build-oci.py"}],
    }
    if "variant" in platform:
        config["variant"] = platform["variant"]
    return config


def dumps(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    version, out_dir, pairs = argv[1], argv[2], argv[3:]
    name = "qbitrr-lite-%s-oci" % version
    layout = os.path.join(out_dir, name)
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    manifests = []
    for pair in pairs:
        triple, _, binary = pair.partition("=")
        platform = PLATFORMS[triple]
        layer_bytes, diff_id = layer(binary)
        layer_desc = blob(layout, layer_bytes)
        config_desc = blob(layout, dumps(image_config(platform, diff_id, version)))
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config_desc),
            "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc)],
        }
        manifest_desc = blob(layout, dumps(manifest))
        manifests.append(
            dict(
                mediaType="application/vnd.oci.image.manifest.v1+json",
                platform=platform,
                **manifest_desc,
            )
        )
    # The multi-arch image is an index blob; the layout's index.json tags it (VERSION and
    # latest), as skopeo and podman expect of a multi-arch OCI layout.
    image_index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }
    index_desc = blob(layout, dumps(image_index))
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            dict(
                mediaType="application/vnd.oci.image.index.v1+json",
                annotations={"org.opencontainers.image.ref.name": tag},
                **index_desc,
            )
            for tag in (version, "latest")
        ],
    }
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(dumps(index))
    with open(os.path.join(layout, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))
    archive = layout + ".tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, files in os.walk(layout):
            dirs.sort()
            for entry in dirs:
                info = tar.gettarinfo(os.path.join(root, entry), os.path.relpath(os.path.join(root, entry), layout))
                info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "", ""
                tar.addfile(info)
            for entry in sorted(files):
                path = os.path.join(root, entry)
                info = tar.gettarinfo(path, os.path.relpath(path, layout))
                info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "", ""
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    print(archive)


if __name__ == "__main__":
    main(sys.argv)
