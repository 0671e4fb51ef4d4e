"""A private containerd daemon and its ctr client, for pulling images as a node's runtime does.

The daemon gets its own root, state, gRPC and ttrpc sockets and TMPDIR in a temp dir, only the
native snapshotter (plain directories: no overlay support needed), and no CRI plugin. Pulls
happen in ctr's process (its resolver honours HTTPS_PROXY); the daemon stores and unpacks.
"""

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))
from service_process import ServiceProcess  # noqa: E402  (path set up just above)

CONTAINERD = "/usr/bin/containerd"
CTR = "/usr/bin/ctr"
NAMESPACE = "e2e"
SNAPSHOTTER = "native"
DISABLED_PLUGINS = (
    "io.containerd.grpc.v1.cri",
    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.overlayfs",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp",
)
DAEMON_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def _toml_string(text):
    return json.dumps(str(text))  # a JSON string of a path is a valid TOML basic string


class Containerd(ServiceProcess):
    """Context manager: a running containerd whose every file lives under `workdir`.

    Entering waits (bounded) until ctr gets an answer on the socket; leaving stops the daemon,
    unmounts anything it left mounted under `workdir`, and raises with its log tail if it had
    died in between.
    """

    name = "containerd"
    stop_timeout = 15

    def __init__(self, workdir, startup_timeout=30):
        self.workdir = Path(workdir)
        super().__init__(self.workdir / "containerd.log", startup_timeout)

    @property
    def address(self):
        return self.workdir / "containerd.sock"

    @property
    def root(self):
        return self.workdir / "root"

    def config(self):
        disabled = ", ".join(_toml_string(name) for name in DISABLED_PLUGINS)
        return "\n".join([
            "version = 2",
            f"root = {_toml_string(self.root)}",
            f"state = {_toml_string(self.workdir / 'state')}",
            f"disabled_plugins = [{disabled}]",
            "[grpc]",
            f"  address = {_toml_string(self.address)}",
            "[ttrpc]",
            f"  address = {_toml_string(self.workdir / 'containerd-ttrpc.sock')}",
            '[plugins."io.containerd.internal.v1.opt"]',
            f"  path = {_toml_string(self.workdir / 'opt')}",
            "",
        ])

    def __enter__(self):
        (self.workdir / "tmp").mkdir(parents=True, exist_ok=True)
        return super().__enter__()

    def __exit__(self, *exc_info):
        try:
            super().__exit__(*exc_info)
        finally:
            self._unmount_leftovers()

    def _launch(self, log):
        config_path = self.workdir / "config.toml"
        config_path.write_text(self.config())
        return subprocess.Popen(
            [CONTAINERD, "--config", str(config_path)], stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT,
            env={"PATH": DAEMON_PATH, "TMPDIR": str(self.workdir / "tmp")})

    def ctr(self, *args, env=None, stdin=subprocess.DEVNULL, timeout=60):
        """Run ctr against this daemon; returns the CompletedProcess (text output)."""
        return subprocess.run([CTR, "--address", str(self.address), "--namespace", NAMESPACE, *args],
                              stdin=stdin, capture_output=True, text=True, timeout=timeout,
                              env={"PATH": DAEMON_PATH, **(env or {})})

    def ctr_with_password(self, password, *args, env=None, timeout=60):
        """Run ctr with args that include `--user USER` (no password): ctr then reads the
        password from its terminal, here a pseudo-terminal this side types it into, so the
        secret never shows in ctr's command line."""
        controller, terminal = pty.openpty()
        try:
            os.write(controller, password.encode() + b"\n")
            return self.ctr(*args, env=env, stdin=terminal, timeout=timeout)
        finally:
            os.close(terminal)
            os.close(controller)

    def _ready(self):
        return self.address.exists() and self.ctr("version", timeout=10).returncode == 0

    def _unmount_leftovers(self):
        """Unmount what a killed unpack may have left under workdir, innermost first, so that
        removing the temp dir never has to cross a mount point."""
        inside = str(self.workdir) + "/"
        with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
            points = [line.split()[4].encode().decode("unicode_escape") for line in mountinfo]
        for point in sorted((p for p in points if p.startswith(inside)), key=len, reverse=True):
            subprocess.run(["umount", "--lazy", point], check=False, timeout=10)
