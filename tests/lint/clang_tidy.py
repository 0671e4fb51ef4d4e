#!/usr/bin/python3
"""Runs clang-tidy (the repository's .clang-tidy) over C++ sources; the CTest test lint.clang_tidy.

Usage: clang_tidy.py --build-dir DIR --clang-tidy PATH --clang PATH --config FILE SOURCE...

Uses DIR/compile_commands.json, runs one clang-tidy per CPU in parallel and exits 1 if any
source has a finding (every check is an error, WarningsAsErrors '*').

A full run costs several CPU minutes (each translation unit parses libstdc++, abseil and
nlohmann/json, then the analyzer walks it), so a clean result is remembered in
DIR/clang-tidy-cache under a hash of everything clang-tidy's answer depends on: the
preprocessed translation unit (every header it includes, as clang sees it), the compile
command, the config and the clang-tidy version. A source is skipped only if that hash
passed before, so the verdict is the same as a full run's; findings are never cached.
Delete the directory to force a full run. Standard library only.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

TIMEOUT = 600  # per source; the slowest takes about 20 s on an idle core


def compile_arguments(entry):
    if "arguments" in entry:
        return list(entry["arguments"])
    return shlex.split(entry["command"])


def preprocess_command(clang, arguments):
    """The compile command, run by clang, with its output replaced by -E to stdout."""
    out = [clang]
    skip = False
    for arg in arguments[1:]:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-c":
            out.append(arg)
    # gcc-only warning flags must not fail clang's preprocessing.
    return out + ["-Wno-unknown-warning-option", "-E", "-o", "-"]


def cache_key(source, entry, clang, fixed):
    arguments = compile_arguments(entry)
    preprocessed = subprocess.run(preprocess_command(clang, arguments), cwd=entry["directory"],
                                  capture_output=True, timeout=TIMEOUT)
    if preprocessed.returncode != 0:
        return None  # clang-tidy will report the same error; never cache it
    digest = hashlib.sha256(fixed)
    digest.update(json.dumps([source, arguments]).encode())
    digest.update(preprocessed.stdout)
    return digest.hexdigest()


def check(source, entry, args, fixed, cache):
    """(source, passed, from_cache, output, key)."""
    key = cache_key(source, entry, args.clang, fixed)
    if key is not None and (cache / key).exists():
        return source, True, True, "", key
    result = subprocess.run([args.clang_tidy, "--quiet", f"--config-file={args.config}",
                             "-p", str(args.build_dir), source],
                            capture_output=True, text=True, timeout=TIMEOUT)
    # Even with --quiet clang-tidy counts the warnings it filtered out of system headers
    # ("N warnings generated."): noise, not findings.
    output = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                       if not line.endswith("warnings generated.")
                       and not line.endswith("warning generated."))
    passed = result.returncode == 0 and "warning:" not in output and "error:" not in output
    if passed and key is not None:
        (cache / key).touch()
    return source, passed, False, output, key


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--clang-tidy", required=True)
    parser.add_argument("--clang", required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("sources", nargs="+")
    args = parser.parse_args()

    entries = {entry["file"]: entry
               for entry in json.loads((args.build_dir / "compile_commands.json").read_text())}
    args.sources = [str(Path(source).resolve()) for source in args.sources]
    missing = [source for source in args.sources if source not in entries]
    if missing:
        print(f"not in {args.build_dir}/compile_commands.json: {' '.join(missing)}")
        return 1
    version = subprocess.run([args.clang_tidy, "--version"], capture_output=True, check=True,
                             timeout=60).stdout
    fixed = version + args.config.read_bytes()
    cache = args.build_dir / "clang-tidy-cache"
    cache.mkdir(exist_ok=True)

    failed, cached, keys = [], 0, set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = [pool.submit(check, source, entries[source], args, fixed, cache)
                for source in args.sources]
        for job in jobs:
            source, passed, from_cache, output, key = job.result()
            keys.add(key)
            cached += from_cache
            if not passed:
                failed.append(source)
                print(output or f"{source}: clang-tidy failed without a diagnostic", flush=True)
    for stale in cache.iterdir():  # keep one entry per source: the cache never grows
        if stale.name not in keys:
            stale.unlink()

    print(f"clang-tidy: {len(args.sources)} sources, {cached} unchanged since a clean run, "
          f"{len(failed)} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
