#!/usr/bin/env python3
"""Benchmark: 2,000 GET checks (status + one JSONPath assertion each) against nginx on loopback.

Side by side in one run, interleaved A/B, medians of N runs:
  - curl fetching the same 2,000 URLs sequentially over one kept-alive connection (the peer);
  - citycert, sequential (--jobs 1);
  - citycert --jobs 16;
  - curl --parallel --parallel-max 16 (for reference).
Bars (issue 2): sequential citycert >= 80% of curl's rate; --jobs 16 >= 5,000 checks/s.
Uses a release build. Needs nginx (installed with apt-get if missing; root on this machine).
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

N = 2000
RUNS = int(os.environ.get("RUNS", "5"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_nginx():
    if shutil.which("nginx"):
        return shutil.which("nginx")
    for p in ("/usr/sbin/nginx",):
        if os.path.exists(p):
            return p
    sh(["apt-get", "install", "-y", "-qq", "nginx-light"], stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def main():
    work = tempfile.mkdtemp(prefix="citycert-bench-http-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    www = os.path.join(work, "www")
    os.makedirs(os.path.join(www, "items"))
    for i in range(N):
        with open(os.path.join(www, "items", f"{i}.json"), "w") as f:
            f.write('{"id": "urn:item:%d", "type": "Item", "value": %d, "tags": ["a", "b"]}' % (i, i))
    port = 18000 + os.getpid() % 1000
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  default_type application/json;
  server {{ listen 127.0.0.1:{port}; root {www}; }}
}}
""")
    nginx = ensure_nginx()
    sh([nginx, "-c", conf, "-p", work])
    base = f"http://127.0.0.1:{port}"
    try:
        # curl: one process, one connection, every URL in a config file.
        curl_cfg = os.path.join(work, "urls.curl")
        with open(curl_cfg, "w") as f:
            for i in range(N):
                f.write(f'url = "{base}/items/{i}.json"\noutput = "/dev/null"\n')
        # citycert: one requirement per URL, status + JSONPath assertion.
        prof_dir = os.path.join(work, "profile")
        os.makedirs(prof_dir)
        with open(os.path.join(prof_dir, "profile.yaml"), "w") as f:
            f.write("citycert: 1\nid: bench-http\ntitle: bench\nversion: '1'\nstandard: {name: bench, version: '1'}\n")
            f.write("inputs: {base_url: {}}\nrequirements:\n")
            for i in range(N):
                f.write(f"  - {{id: B{i}, title: item {i}, clause: '1', level: MUST, checks: [{{http: {{steps: "
                        f"[{{request: {{url: '{{{{base_url}}}}/items/{i}.json'}}, expect: {{status: 200, "
                        f"assert: [{{path: $.value, equals: {i}}}]}}}}]}}}}]}}\n")
        sh(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "citycert"], cwd=ROOT, stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, ".build", "release", "citycert")
        profile = os.path.join(prof_dir, "profile.yaml")
        commands = {
            "curl sequential (1 connection)": ["curl", "-s", "-K", curl_cfg],
            "citycert --jobs 1": [binary, "run", profile, "--input", f"base_url={base}"],
            "citycert --jobs 16": [binary, "run", profile, "--input", f"base_url={base}", "--jobs", "16"],
            "curl --parallel-max 16": ["curl", "-s", "--parallel", "--parallel-max", "16", "-K", curl_cfg],
        }
        times = {k: [] for k in commands}
        for name, cmd in commands.items():  # warm-up, and check citycert's verdict
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if name.startswith("citycert") and (r.returncode != 0 or f"passed {N}" not in r.stdout):
                print(r.stdout[-2000:], r.stderr[-2000:])
                sys.exit(f"{name}: expected {N} passed checks")
        for _ in range(RUNS):
            for name, cmd in commands.items():
                t = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - t)
        curl_rate = N / statistics.median(times["curl sequential (1 connection)"])
        print(f"\n{N} GET checks, nginx on loopback, median of {RUNS} interleaved runs (whole process, release build)\n")
        print(f"| tool | median s | checks/s | vs curl sequential |")
        print(f"|---|---|---|---|")
        for name in commands:
            m = statistics.median(times[name])
            print(f"| {name} | {m:.3f} | {N / m:,.0f} | {(N / m) / curl_rate:.2f}x |")
        seq = N / statistics.median(times["citycert --jobs 1"])
        par = N / statistics.median(times["citycert --jobs 16"])
        print(f"\nbar 1: sequential citycert >= 80% of curl: {seq / curl_rate:.0%} -> {'PASS' if seq >= 0.8 * curl_rate else 'FAIL'}")
        print(f"bar 2: --jobs 16 >= 5,000 checks/s: {par:,.0f} -> {'PASS' if par >= 5000 else 'FAIL'}")
    finally:
        subprocess.run([nginx, "-c", conf, "-p", work, "-s", "stop"], stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
