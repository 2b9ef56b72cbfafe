#!/usr/bin/env python3
"""Benchmark: a certification sweep of TARGETS loopback targets × a 20-request profile, side by side with
curl over the same requests.

- nginx listens on TARGETS ports of 127.0.0.1 (one `listen` each), all serving the same 20 JSON items:
  each port is one target.
- `citycert sweep --parallel P` with a plan of TARGETS targets (each: the 20-requirement profile,
  status + one JSONPath assertion per request), versus `curl --parallel --parallel-max P` fetching the
  same TARGETS × 20 URLs. Interleaved runs, medians; whole-process wall time; peak RSS of each process
  (from wait4's rusage). The sweep writes its journal, a JSON report per pair and the matrix: that work
  is part of what is timed.
- Resume: a sweep killed with SIGKILL once about half of the pairs are journaled, then `--resume`:
  the time the resume takes, and that its matrix equals an uninterrupted sweep's, byte for byte.

Bars (issue 20): sweep throughput >= 0.5x curl's (goal 0.8x), peak RSS < 500 MB.
Env: TARGETS (default 1000), PARALLEL (64), RUNS (3). Uses a release build; needs nginx (installed with
apt-get if missing). Not a test: never run in CI.
"""
import os, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

TARGETS = int(os.environ.get("TARGETS", "1000"))
PARALLEL = int(os.environ.get("PARALLEL", "64"))
RUNS = int(os.environ.get("RUNS", "3"))
REQUESTS = 20
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_nginx():
    for p in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if p and os.path.exists(p):
            return p
    sh(["apt-get", "install", "-y", "-qq", "nginx-light"], stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def timed(cmd, env=None):
    """Runs cmd; returns (seconds, peak RSS in MB, exit code)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    work = tempfile.mkdtemp(prefix="citycert-bench-sweep-")
    os.chmod(work, 0o755)
    www = os.path.join(work, "www")
    os.makedirs(os.path.join(www, "items"))
    for i in range(REQUESTS):
        with open(os.path.join(www, "items", f"{i}.json"), "w") as f:
            f.write('{"id": "urn:item:%d", "type": "Item", "value": %d}' % (i, i))
    first = 20000 + os.getpid() % 20000
    ports = [first + i for i in range(TARGETS)]
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        listens = "".join(f"    listen 127.0.0.1:{p};\n" for p in ports)
        f.write(f"""
worker_processes 2;
worker_rlimit_nofile 65536;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  default_type application/json;
  server {{
{listens}    root {www};
  }}
}}
""")
    nginx = ensure_nginx()
    sh([nginx, "-c", conf, "-p", work])
    try:
        curl_cfg = os.path.join(work, "urls.curl")
        with open(curl_cfg, "w") as f:
            for p in ports:
                for i in range(REQUESTS):
                    f.write(f'url = "http://127.0.0.1:{p}/items/{i}.json"\noutput = "/dev/null"\n')
        prof_dir = os.path.join(work, "profile")
        os.makedirs(prof_dir)
        profile = os.path.join(prof_dir, "profile.yaml")
        with open(profile, "w") as f:
            f.write("citycert: 1\nid: bench-sweep\ntitle: bench\nversion: '1'\nstandard: {name: bench, version: '1'}\n")
            f.write("inputs: {base_url: {}}\nrequirements:\n")
            for i in range(REQUESTS):
                f.write(f"  - {{id: B{i}, title: item {i}, clause: '1', level: MUST, checks: [{{http: {{steps: "
                        f"[{{request: {{url: '{{{{base_url}}}}/items/{i}.json'}}, expect: {{status: 200, "
                        f"assert: [{{path: $.value, equals: {i}}}]}}}}]}}}}]}}\n")
        plan = os.path.join(work, "plan.yaml")
        with open(plan, "w") as f:
            f.write(f"citycert-sweep: 1\nname: bench\nprofiles: {{p: {profile}}}\ndefaults: {{time_budget: 10m}}\ntargets:\n")
            for n, p in enumerate(ports):
                f.write(f"  - {{name: t{n:05d}, profiles: [p], inputs: {{base_url: 'http://127.0.0.1:{p}'}}}}\n")
        sh(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "citycert"], cwd=ROOT,
           stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, ".build", "release", "citycert")

        def sweep_cmd(out, *extra):
            return [binary, "sweep", plan, "--out", out, "--parallel", str(PARALLEL), "--quiet", *extra]

        # Warm-up, and the verdicts: every pair CONFORMANT with 20 passed requirements.
        out = os.path.join(work, "check")
        r = subprocess.run(sweep_cmd(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or f"{TARGETS} pair(s) judged, {TARGETS} CONFORMANT" not in r.stdout:
            print(r.stdout[-2000:], r.stderr[-2000:])
            sys.exit("the sweep did not judge every target CONFORMANT")
        shutil.rmtree(out)
        subprocess.run(["curl", "-s", "--parallel", "--parallel-max", str(PARALLEL), "-K", curl_cfg], check=True)

        results = {"curl": [], "sweep": []}
        for k in range(RUNS):
            results["curl"].append(timed(["curl", "-s", "--parallel", "--parallel-max", str(PARALLEL), "-K", curl_cfg]))
            out = os.path.join(work, f"run-{k}")
            results["sweep"].append(timed(sweep_cmd(out)))
            if k > 0:
                shutil.rmtree(out)
        whole = os.path.join(work, "run-0")
        total = TARGETS * REQUESTS

        # Resume: kill -9 once about half of the pairs are journaled.
        killed = os.path.join(work, "killed")
        p = subprocess.Popen(sweep_cmd(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = 0
        while p.poll() is None:
            try:
                done = sqlite3.connect(os.path.join(killed, "journal.sqlite")).execute("SELECT count(*) FROM pairs").fetchone()[0]
            except sqlite3.Error:
                done = 0
            if done >= TARGETS // 2:
                p.kill()
                break
            time.sleep(0.01)
        p.wait()
        resume_s, resume_rss, code = timed(sweep_cmd(killed, "--resume"))
        same = all(open(os.path.join(killed, m), "rb").read() == open(os.path.join(whole, m), "rb").read()
                   for m in ("matrix.json", "matrix.csv", "matrix.md"))

        curl_s = statistics.median(t for t, _, _ in results["curl"])
        sweep_s = statistics.median(t for t, _, _ in results["sweep"])
        curl_rss = max(m for _, m, _ in results["curl"])
        sweep_rss = max(m for _, m, _ in results["sweep"])
        print(f"\n{TARGETS} targets x {REQUESTS} requests = {total:,} GETs, nginx on loopback, parallel {PARALLEL}, "
              f"median of {RUNS} interleaved runs (whole process, release build)\n")
        print("| tool | median s | requests/s | vs curl | peak RSS MB |")
        print("|---|---|---|---|---|")
        print(f"| curl --parallel-max {PARALLEL} | {curl_s:.2f} | {total / curl_s:,.0f} | 1.00x | {curl_rss:.0f} |")
        print(f"| citycert sweep --parallel {PARALLEL} | {sweep_s:.2f} | {total / sweep_s:,.0f} | {curl_s / sweep_s:.2f}x | {sweep_rss:.0f} |")
        print(f"\nresume after kill -9 at {done} of {TARGETS} pairs journaled: {resume_s:.2f} s for the rest "
              f"(exit {code}, peak RSS {resume_rss:.0f} MB); matrix identical to the uninterrupted sweep: {same}")
        ratio = curl_s / sweep_s
        print(f"bar: sweep >= 0.5x curl: {ratio:.2f}x -> {'PASS' if ratio >= 0.5 else 'FAIL'} (goal 0.8x)")
        print(f"bar: peak RSS < 500 MB: {sweep_rss:.0f} MB -> {'PASS' if sweep_rss < 500 else 'FAIL'}")
        if not same:
            sys.exit("the resumed sweep's matrix differs")
    finally:
        subprocess.run([nginx, "-c", conf, "-p", work, "-s", "stop"], stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
