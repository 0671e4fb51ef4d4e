#!/usr/bin/python3
"""Checks plugin/'s layering (docs/architecture.md); the CTest test lint.layers.

Usage: layers.py --source-dir DIR --compile-commands FILE

Every include of a plugin header must point down, never up or sideways:
  - a file may include headers of its own folder and of any folder with a lower rank;
  - nothing outside plugin/helper/ includes plugin/helper/ (the HTTPS helper's code: libcurl
    and OpenSSL must never reach the plugin, whose cache hit loads no shared object);
  - every folder of plugin/ has a rank here, so a new folder is placed on purpose.
It also checks that every plugin/ source is in compile_commands.json, so clang-tidy and
cppcheck (which read it) see every file. Prints one line per violation; exit 1 if any.
Standard library only.
"""

import argparse
import json
import re
import sys
from pathlib import Path

# Lowest first. "" is the provider core at the top of plugin/ (provider.h); main.cc is the
# program's entry point. Folders of equal rank are independent of each other.
RANKS = {
    "base": 0,       # log, fd I/O, secure files, clock, SHA-256, environment, version
    "net": 1,        # the transport interface, retries, the helper's wire format and process
    "cache": 1,      # token cache interface, file cache, entries
    "azure": 2,      # clouds, registry names, genuine hosts, Entra ID, ACR exchange, JWT
    "config": 3,     # the node config: parsing only
    "identity": 4,   # one file per sign-in mode, and the factory
    "metrics": 4,    # the Prometheus textfile: counts, token gauges, the merge under a lock
    "": 5,           # the provider core
    "kubelet": 6,    # the kubelet protocol front end
    "docker": 6,     # the Docker credential helper front end
    "cli": 7,        # command line, check, setup
    "main": 8,       # main.cc
    "helper": 8,     # the HTTPS helper executable (its own main)
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"plugin/([^"]+)"', re.M)


def folder_of(relative):
    """The layer of a path relative to plugin/: its folder, "" for the core, "main"."""
    parts = Path(relative).parts
    if len(parts) == 1:
        return "main" if parts[0] == "main.cc" else ""
    return parts[0]


def check_includes(plugin):
    problems = []
    for path in sorted(plugin.rglob("*")):
        if path.suffix not in (".h", ".cc", ".in") or not path.is_file():
            continue
        relative = path.relative_to(plugin).as_posix()
        layer = folder_of(relative)
        if layer not in RANKS:
            problems.append(f"plugin/{relative}: folder '{layer}' has no rank in "
                            f"tests/lint/layers.py (add it, see docs/architecture.md)")
            continue
        for target in INCLUDE.findall(path.read_text(encoding="utf-8")):
            target_layer = folder_of(target)
            if target_layer not in RANKS:
                problems.append(f"plugin/{relative}: includes plugin/{target}, whose folder "
                                f"has no rank")
            elif target_layer == "helper" and layer != "helper":
                problems.append(f"plugin/{relative}: includes plugin/{target}: only the "
                                f"HTTPS helper may use plugin/helper/")
            elif target_layer != layer and RANKS[target_layer] >= RANKS[layer]:
                problems.append(f"plugin/{relative} ({layer or 'core'}, rank {RANKS[layer]}) "
                                f"includes plugin/{target} ({target_layer or 'core'}, rank "
                                f"{RANKS[target_layer]}): includes must point to a lower layer")
    return problems


def check_compile_commands(plugin, compile_commands):
    compiled = {Path(entry["directory"], entry["file"]).resolve()
                for entry in json.loads(Path(compile_commands).read_text(encoding="utf-8"))}
    return [f"plugin/{path.relative_to(plugin)}: not in {compile_commands}, so lint never "
            f"sees it (add it to plugin/CMakeLists.txt)"
            for path in sorted(plugin.rglob("*.cc")) if path.resolve() not in compiled]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--compile-commands", required=True)
    args = parser.parse_args()
    plugin = Path(args.source_dir) / "plugin"
    problems = check_includes(plugin) + check_compile_commands(plugin, args.compile_commands)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"layers: {sum(1 for _ in plugin.rglob('*.[hc]*'))} files, every include points "
              f"down")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
