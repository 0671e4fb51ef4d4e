"""Benchmarks for acr-credential-provider (numbers, not pass/fail). Run by scripts/bench.

Measures, in one run on this machine, against the project's fake Entra ID + ACR on 127.0.0.1:
  - cache-hit invocation, exec to exit, next to a static no-op binary measured the same way;
  - cold invocations: latency and HTTPS requests made;
  - a second registry for the same identity (the Entra token is never cached, so it signs in
    again: 1 Entra request + 1 exchange expected);
  - 100 concurrent cold invocations for one registry: wall time, Entra requests, exchanges;
  - the cache hit again with the metrics textfile on (metricsFile);
  - an Entra ID outage: after `refresh` renewed the token, kubelet execs during the outage
    (how many, requests they made) and the ride-through in real terms (ACR's 3 h tokens);
  - peak RSS of a hit and of a miss; binary size, stripped and not.
Timing is done by bench/spawn_bench (posix_spawn + wait4), so Python adds nothing to it.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import FakeAzure, request, write_secret  # noqa: E402  (path set up just above)

TENANT = "5b1a7c3e-0d2f-4e6a-9b8c-7d6e5f4a3b2c"
CLIENT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
SECRET = "bench~Secret.value-0123456789abcdefghij"
REGISTRIES = ["benchacr.azurecr.io", "benchacr2.azurecr.io"]
API_VERSION = "credentialprovider.kubelet.k8s.io/v1"


def scenario():
    return {"tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]}}}},
            "registries": {r: {"acrpull": [CLIENT]} for r in REGISTRIES}}


class Bench:
    def __init__(self, build_dir, workdir, fake):
        self.plugin = build_dir / "plugin" / "acr-credential-provider"
        self.noop = build_dir / "bench" / "noop_static"
        self.spawn = build_dir / "bench" / "spawn_bench"
        self.helper = build_dir / "plugin" / "acr-credential-provider-http"
        self.workdir = workdir
        self.fake = fake
        self.secret = write_secret(workdir / "client-secret", SECRET)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HTTPS_PROXY": f"http://127.0.0.1:{fake.ports['proxy']}"}
        self.requests_files = {}
        for registry in REGISTRIES:
            path = workdir / f"request-{registry}.json"
            path.write_text(json.dumps(request(API_VERSION, f"{registry}/team/app")) + "\n")
            self.requests_files[registry] = path
        self.counter = 0

    def config(self, cache_dir, **extra):
        """A node config using `cache_dir` (and `extra` keys); returns its path."""
        self.counter += 1
        path = self.workdir / f"config-{self.counter}.json"
        write_secret(path, json.dumps({
            "tenantId": TENANT, "clientId": CLIENT, "clientSecretFile": str(self.secret),
            "caBundleFile": self.fake.ca, "cacheDir": str(cache_dir), "metricsFile": "off",
            **extra}))
        return path

    def fresh_cache(self):
        self.counter += 1
        return self.workdir / f"cache-{self.counter}"

    def spawn_bench(self, mode, count, registry, command):
        out = subprocess.run([str(self.spawn), mode, str(count), str(self.requests_files[registry]),
                              "--", *map(str, command)],
                             env=self.env, capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    def plugin_command(self, config):
        return [self.plugin, "--config", config]

    def counts(self):
        requests = self.fake.requests()
        return (sum(r["endpoint"] == "entra" for r in requests),
                sum(r["endpoint"] == "exchange" for r in requests))


def measure(bench, runs, procs):
    results = {}
    # Cache hit vs. the exec floor: warm the cache once, then time both the same way.
    hit_config = bench.config(bench.fresh_cache())
    warm = bench.spawn_bench("serial", 1, REGISTRIES[0], bench.plugin_command(hit_config))
    assert warm["failures"] == 0, "warming the cache failed"
    bench.fake.reset()
    noop_before = bench.spawn_bench("serial", runs, REGISTRIES[0], [bench.noop])
    hit = bench.spawn_bench("serial", runs, REGISTRIES[0], bench.plugin_command(hit_config))
    noop_after = bench.spawn_bench("serial", runs, REGISTRIES[0], [bench.noop])
    results["hit"] = hit
    results["hit_requests"] = sum(bench.counts())
    results["noop"] = {k: (noop_before[k] + noop_after[k]) / 2 for k in ("median_ms", "p95_ms")}

    # The same hit with the metrics textfile on: a hit adds 1 in shared memory; the file is
    # rewritten (locked read-modify-rename) when older than 10 s.
    metrics_config = bench.config(bench.fresh_cache(),
                                  metricsFile=str(bench.workdir / "acr_credential_provider.prom"))
    warm = bench.spawn_bench("serial", 1, REGISTRIES[0], bench.plugin_command(metrics_config))
    assert warm["failures"] == 0, "warming the cache failed"
    results["hit_metrics"] = bench.spawn_bench("serial", runs, REGISTRIES[0],
                                               bench.plugin_command(metrics_config))

    # An Entra ID outage after the refresh timer's last run: the kubelet's execs answer from
    # the cache without a request while the token lasts (then refreshing fails, and the
    # token is served without retrying for 20 min, kRetryAfterFailure).
    outage_config = bench.config(bench.fresh_cache())
    warm = bench.spawn_bench("serial", 1, REGISTRIES[0], bench.plugin_command(outage_config))
    subprocess.run([str(bench.plugin), "refresh", "--config", str(outage_config)],
                   env=bench.env, capture_output=True, check=True)
    bench.fake.reset()
    bench.fake.faults("entra", [{"status": 503}], always=True)
    outage = bench.spawn_bench("serial", 200, REGISTRIES[0], bench.plugin_command(outage_config))
    results["outage"] = {**outage, "requests": len(bench.fake.requests())}
    bench.fake.clear_faults()

    # Cold invocations, each with an empty cache: latency and requests made.
    cold_times, cold_requests, cold_rss, failures = [], [], 0, 0
    for _ in range(20):
        bench.fake.reset()
        config = bench.config(bench.fresh_cache())
        cold = bench.spawn_bench("serial", 1, REGISTRIES[0], bench.plugin_command(config))
        cold_times.append(cold["median_ms"])
        cold_rss = max(cold_rss, cold["max_rss_kb"])
        failures += cold["failures"]
        cold_requests.append(sum(bench.counts()))
        # The same identity, a second registry: the Entra token is kept only in memory, so this
        # signs in again (1 Entra request + 1 exchange).
        bench.fake.reset()
        second = bench.spawn_bench("serial", 1, REGISTRIES[1], bench.plugin_command(config))
        failures += second["failures"]
        results.setdefault("second_registry_requests", set()).add(bench.counts())
    cold_times.sort()
    results["cold"] = {"median_ms": cold_times[len(cold_times) // 2], "max_ms": cold_times[-1],
                       "requests": sorted(set(cold_requests)), "max_rss_kb": cold_rss,
                       "failures": failures}

    # A burst of cold invocations for one registry, as after a node reboot.
    bench.fake.reset()
    config = bench.config(bench.fresh_cache())
    burst = bench.spawn_bench("concurrent", procs, REGISTRIES[0], bench.plugin_command(config))
    results["burst"] = {**burst, "entra": bench.counts()[0], "exchanges": bench.counts()[1]}

    # The HTTPS helper on its own: libcurl loaded and initialised, end of input at once.
    results["helper_idle"] = bench.spawn_bench("serial", 5, REGISTRIES[0], [bench.helper])

    results["size"] = {}
    for name, path in (("plugin", bench.plugin), ("helper", bench.helper)):
        stripped = bench.workdir / f"{name}.stripped"
        subprocess.run(["strip", "-o", str(stripped), str(path)], check=True)
        results["size"][name] = (path.stat().st_size, stripped.stat().st_size)
    return results


def print_table(r, runs, procs):
    ratio = r["hit"]["median_ms"] / r["noop"]["median_ms"]
    second = ", ".join(f"{e} Entra + {x} exchange" for e, x in sorted(r["second_registry_requests"]))
    rows = [
        ("static no-op exec (the floor)", f"median {r['noop']['median_ms']:.3f} ms, "
                                          f"p95 {r['noop']['p95_ms']:.3f} ms ({runs} runs)"),
        ("cache hit, exec to exit", f"median {r['hit']['median_ms']:.3f} ms, "
                                    f"p95 {r['hit']['p95_ms']:.3f} ms ({runs} runs, "
                                    f"{r['hit']['failures']} failed)"),
        ("cache hit / no-op (median)", f"{ratio:.2f}x"),
        ("requests made by the hits", str(r["hit_requests"])),
        ("cache hit, metrics on", f"median {r['hit_metrics']['median_ms']:.3f} ms, "
                                  f"p95 {r['hit_metrics']['p95_ms']:.3f} ms, "
                                  f"{r['hit_metrics']['median_ms'] / r['noop']['median_ms']:.2f}x "
                                  "the no-op"),
        ("kubelet execs during an Entra outage", f"{r['outage']['runs'] - r['outage']['failures']} "
                                                 f"answered, {r['outage']['failures']} failed, "
                                                 f"{r['outage']['requests']} requests, median "
                                                 f"{r['outage']['median_ms']:.3f} ms"),
        ("cold invocation", f"median {r['cold']['median_ms']:.1f} ms, max {r['cold']['max_ms']:.1f} "
                            f"ms (20 runs, {r['cold']['failures']} failed)"),
        ("requests per cold invocation", " or ".join(map(str, r["cold"]["requests"]))),
        ("second registry, same identity", second),
        (f"{procs} concurrent cold, one registry", f"wall {r['burst']['wall_ms']:.0f} ms, "
                                                   f"{r['burst']['entra']} Entra, "
                                                   f"{r['burst']['exchanges']} exchange, "
                                                   f"{r['burst']['failures']} failed"),
        ("peak RSS, hit", f"{r['hit']['max_rss_kb'] / 1024:.1f} MiB"),
        ("peak RSS, miss (plugin + helper)",
         f"{max(r['cold']['max_rss_kb'], r['burst']['max_rss_kb']) / 1024:.1f} MiB"),
        ("peak RSS, helper with no request", f"{r['helper_idle']['max_rss_kb'] / 1024:.1f} MiB "
                                             "(libcurl and its libraries loaded)"),
    ]
    for name, (size, stripped) in r["size"].items():
        rows.append((f"{name} binary size", f"{size / 1024:.0f} KiB, stripped {stripped / 1024:.0f} KiB"))
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement'.ljust(width)}  result")
    print(f"{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build" / "release")
    parser.add_argument("--runs", type=int, default=1000, help="timed runs of the hit and no-op")
    parser.add_argument("--procs", type=int, default=100, help="concurrent cold invocations")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="acrcp-bench-"))
    try:
        with FakeAzure(workdir / "fake", scenario()) as fake:
            results = measure(Bench(args.build_dir, workdir, fake), args.runs, args.procs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, args.runs, args.procs)


if __name__ == "__main__":
    main()
