#!/usr/bin/env python3
"""Side-by-side benchmark of pinion, uv (`uv pip compile` / `uv pip sync`) and pip-tools
(`pip-compile` / `pip-sync`) on the real-world inputs in benches/inputs/.

Python 3 standard library only. Needs the network (the package registry). See benches/README.md.

    python3 benches/run.py                                   # everything, 5 runs
    python3 benches/run.py --runs 3 --inputs small,django --scenarios compile-warm --tools pinion,uv
    python3 benches/run.py --pinion target/release/pinion --markdown /tmp/results.md
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
INPUTS_DIR = BENCHES / "inputs"

TOOLS = ("pinion", "uv", "pip-tools")
INPUTS = ("small", "django", "datasci", "big", "dev")
COMPILE_SCENARIOS = ("compile-warm", "compile-cold", "compile-hashes-warm", "compile-revalidate",
                     "compile-universal-warm", "compile-universal-cold")
SYNC_SCENARIOS = ("sync-fresh", "sync-noop", "sync-cold")
SCALING = "scaling"
SCENARIOS = COMPILE_SCENARIOS + SYNC_SCENARIOS + (SCALING,)
# Scenarios pip-tools has no counterpart for (pip-compile resolves for one interpreter only).
UNIVERSAL = ("compile-universal-warm", "compile-universal-cold")
# The top-level names of the scaling series: the first N lines of inputs/scale.txt.
SCALING_SIZES = (1, 10, 50, 150, 300)

# Environment variables that would make one tool see a different index, cache or interpreter than
# the others (uv ignores PIP_*, pip-tools and pinion read them): dropped for every run.
DROPPED_ENV_PREFIXES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX",
                        "PIP_CACHE_DIR", "PIP_REQUIRE_VIRTUALENV", "PIP_CONFIG_FILE", "UV_",
                        "PINION_", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME")

# Never compared between tools: pip-tools leaves them out unless --allow-unsafe, uv keeps them.
UNSAFE = {"pip", "setuptools", "wheel", "distribute"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------------------------
# Running one command: wall time, exit status and peak memory (ru_maxrss from wait4, i.e. the
# largest resident set of the process or of any descendant it waited for).
# --------------------------------------------------------------------------------------------

class Result:
    def __init__(self, status, seconds, max_rss_kib, cmd, log_prefix):
        self.status = status  # "ok", "fail" or "timeout"
        self.seconds = seconds
        self.max_rss_kib = max_rss_kib
        self.cmd = cmd
        self.log_prefix = log_prefix

    def stderr_tail(self, lines=15):
        text = ""
        for suffix in (".err", ".out"):
            p = Path(str(self.log_prefix) + suffix)
            if p.exists():
                text += p.read_text(errors="replace")
        return "\n".join(text.strip().splitlines()[-lines:])


def run_measured(cmd, env, cwd, timeout, log_prefix):
    log_prefix = Path(log_prefix)
    log_prefix.parent.mkdir(parents=True, exist_ok=True)
    holder = {"pid": None, "timed_out": False}

    def kill():
        holder["timed_out"] = True
        if holder["pid"] is not None:
            try:
                os.killpg(holder["pid"], signal.SIGKILL)  # the group of the process we started
            except ProcessLookupError:
                pass

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    with open(str(log_prefix) + ".out", "wb") as out, open(str(log_prefix) + ".err", "wb") as err:
        timer.start()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, start_new_session=True)
        holder["pid"] = proc.pid
        _, wait_status, usage = os.wait4(proc.pid, 0)
        t1 = time.perf_counter()
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    if holder["timed_out"]:
        status = "timeout"
    elif proc.returncode != 0:
        status = "fail"
    else:
        status = "ok"
    return Result(status, t1 - t0, usage.ru_maxrss, cmd, log_prefix)


def run_checked(cmd, **kw):
    """An untimed helper command (setup): raise with its output when it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stdout}")
    return p.stdout


# --------------------------------------------------------------------------------------------
# Setup: the tools venv (uv and pip-tools from the package registry), pinion, the index.
# --------------------------------------------------------------------------------------------

def setup_tools_venv(venv, python, uv_spec, pip_tools_spec):
    vpy = venv / "bin" / "python"
    if not vpy.exists():
        log(f"creating the tools venv {venv} and installing {uv_spec} and {pip_tools_spec} ...")
        run_checked([python, "-m", "venv", str(venv)])
        run_checked([vpy, "-m", "pip", "install", "-q", "-U", "pip"])
        run_checked([vpy, "-m", "pip", "install", "-q", uv_spec, pip_tools_spec])
    for exe in ("uv", "pip-compile", "pip-sync"):
        if not (venv / "bin" / exe).exists():
            raise SystemExit(f"{venv}/bin/{exe} is missing: is {venv} a tools venv?")
    return vpy


def build_pinion(target_dir):
    cmd = ["cargo", "build", "--release", "--manifest-path", str(REPO / "Cargo.toml"),
           "--target-dir", str(target_dir)]
    log("building pinion: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    return Path(target_dir) / "release" / "pinion"


def pip_index_url(tools_py):
    """The index pip is configured to use (its configuration files and PIP_INDEX_URL), else
    pip's built-in default. Read at run time so that no host name lives in this repository."""
    listing = subprocess.run([tools_py, "-m", "pip", "config", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
    found = {}
    for line in listing.splitlines():
        m = re.match(r"^([^=]+)\.index-url='(.*)'$", line.strip())
        if m:
            found[m.group(1)] = m.group(2)
    for section in (":env:", "install", "global"):
        if section in found:
            return found[section]
    return run_checked([tools_py, "-c", "from pip._internal.models.index import PyPI; "
                        "print(PyPI.simple_url)"]).strip()


def versions(pinion, venv, python, built):
    def out(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    rev = out(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no",
                            "--", ".", ":!benches"], stdout=subprocess.PIPE, text=True).stdout
    if built:
        rev += " (working tree with uncommitted changes)" if dirty.strip() else ""
    else:
        rev = f"not known: the binary was given with --pinion (repository HEAD: {rev})"
    return {
        "pinion": out([pinion, "--version"]),
        "pinion git rev": rev,
        "uv": out([venv / "bin" / "uv", "--version"]),
        "pip-tools": out([venv / "bin" / "pip-compile", "--version"]),
        "pip (used by pip-tools)": out([venv / "bin" / "python", "-m", "pip", "--version"]).split(" from ")[0],
        "python": out([python, "--version"]) + f" ({python})",
    }


def machine():
    model = "?"
    mem = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "memory": mem,
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


# --------------------------------------------------------------------------------------------
# The commands of each tool.
# --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, work, pinion, tools_venv, index_url):
        self.args = args
        self.work = work
        self.pinion = str(pinion)
        self.bin = tools_venv / "bin"
        self.index = index_url
        self.python = args.python
        self.inputs = work / "inputs"
        self.trash = []  # folders removed when the benchmark ends
        env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV_PREFIXES)}
        env["UV_PYTHON_DOWNLOADS"] = "never"  # never fetch a managed interpreter
        env["NO_COLOR"] = "1"
        self.env = env

    def cache(self, tool, kind):
        return self.work / "cache" / kind / tool

    def env_for(self, tool, cache):
        env = dict(self.env)
        if tool == "pip-tools":
            env["PIP_CACHE_DIR"] = str(cache / "pip")
        return env

    def compile_cmd(self, tool, src, out, cache, hashes, extra=()):
        h = (["--generate-hashes"] if hashes else []) + list(extra)
        if tool == "pinion":
            return [self.pinion, "compile", "-q", "--python", self.python, "--cache-dir", str(cache),
                    "--index-url", self.index, *h, "-o", str(out), src]
        if tool == "uv":
            return [str(self.bin / "uv"), "pip", "compile", "-q", "--no-config", "--python",
                    self.python, "--cache-dir", str(cache), "--index-url", self.index, *h,
                    "-o", str(out), src]
        # pip-compile resolves for the interpreter it runs in: the tools venv, made from
        # --python. Its own dependency cache goes to --cache-dir, pip's HTTP cache to PIP_CACHE_DIR.
        return [str(self.bin / "pip-compile"), "-q", "--cache-dir", str(cache / "pip-tools"),
                "--index-url", self.index, *h, "-o", str(out), src]

    def sync_cmd(self, tool, lock, venv, cache):
        vpy = str(venv / "bin" / "python")
        if tool == "pinion":
            return [self.pinion, "sync", "-q", "--python", vpy, "--cache-dir", str(cache),
                    "--index-url", self.index, str(lock)]
        if tool == "uv":
            return [str(self.bin / "uv"), "pip", "sync", "-q", "--no-config", "--python", vpy,
                    "--cache-dir", str(cache), "--index-url", self.index, str(lock)]
        return [str(self.bin / "pip-sync"), "-q", "--python-executable", vpy,
                "--index-url", self.index, str(lock)]

    def pinion_has(self, flag):
        """Whether `pinion compile --help` lists `flag` (a cell whose flag is not there yet is
        skipped with a note rather than recorded as a failure)."""
        try:
            text = subprocess.run([self.pinion, "compile", "--help"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True).stdout
        except OSError:
            return False
        return re.search(re.escape(flag) + r"\b", text) is not None

    def fresh_venv(self, tool, path):
        """Untimed: pinion and uv get a venv without pip; pip-sync needs pip inside it."""
        if path.exists():
            shutil.rmtree(path)
        cmd = [self.python, "-m", "venv", str(path)]
        if tool != "pip-tools":
            cmd.insert(3, "--without-pip")
        run_checked(cmd)


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;\\#]+)")


def read_pins(path):
    pins = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        m = PIN.match(line.strip())
        if m:
            pins[normalize(m.group(1))] = m.group(3)
    return pins


def read_hashes(path):
    """{name: set of --hash values} of a lockfile."""
    hashes, current = {}, None
    for line in Path(path).read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            current = normalize(m.group(1))
            hashes[current] = set()
        if current is not None:
            hashes[current].update(re.findall(r"--hash=(\S+)", line))
    return hashes


def compare_pins(a, b):
    names = (set(a) | set(b)) - UNSAFE
    diffs = []
    for n in sorted(names):
        if a.get(n) != b.get(n):
            diffs.append(f"{n}: {a.get(n, '-')} vs {b.get(n, '-')}")
    return len(names) - len(diffs), diffs


def installed_dists(venv):
    dists = {}
    for sp in venv.glob("lib/python*/site-packages"):
        for d in sp.glob("*.dist-info"):
            name, _, version = d.name[: -len(".dist-info")].partition("-")
            dists[normalize(name)] = version
    return dists


# --------------------------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------------------------

def median(xs):
    return statistics.median(xs) if xs else None


class Cell:
    def __init__(self, input_name, scenario, tool):
        self.input = input_name
        self.scenario = scenario
        self.tool = tool
        self.times = []
        self.rss = []
        self.status = "ok"  # becomes "fail" or "timeout" and stops further runs
        self.error = None
        self.stopped = False  # --skip-slow stopped it after a slow run

    def record(self, r, skip_slow):
        if r.status != "ok":
            self.status = r.status
            self.error = (r.cmd, r.stderr_tail())
            return
        self.times.append(r.seconds)
        self.rss.append(r.max_rss_kib)
        if skip_slow and r.seconds > skip_slow:
            self.stopped = True

    @property
    def active(self):
        return self.status == "ok" and not self.stopped

    def to_json(self):
        return {"input": self.input, "scenario": self.scenario, "tool": self.tool,
                "status": self.status, "times_s": self.times, "max_rss_kib": self.rss,
                "median_s": median(self.times), "median_rss_kib": median(self.rss),
                "error": None if self.error is None else
                {"cmd": [str(c) for c in self.error[0]], "output_tail": self.error[1]}}


def measure_compile(b, scenario, input_name, tools, runs, cells, warnings):
    args = b.args
    src = f"{input_name}.in"
    hashes = scenario == "compile-hashes-warm"
    cold = scenario in ("compile-cold", "compile-universal-cold", SCALING)
    # `--upgrade` with no output file to prefer: every tool revalidates each cached page
    # (pinion's freshness window is skipped; uv and pip revalidate anyway when the index sends
    # no caching headers), cached metadata of hashed files is reused.
    extra = {"compile-revalidate": ["--upgrade"], "compile-universal-warm": ["--universal"],
             "compile-universal-cold": ["--universal"]}.get(scenario, [])
    if scenario in UNIVERSAL:
        tools = [t for t in tools if t != "pip-tools"]
    row = {t: Cell(input_name, scenario, t) for t in tools}
    cells.extend(row.values())
    if scenario in UNIVERSAL and "pinion" in row and not b.pinion_has("--universal"):
        row["pinion"].status = "skipped"
        row["pinion"].error = (["pinion", "compile", "--universal"],
                               "this pinion has no `--universal` (compile --help does not list "
                               "it): the cell is skipped for pinion")
        warnings.append(f"{scenario} {input_name}: skipped for pinion, which has no --universal")
    outdir = b.work / "out" / scenario / input_name
    logs = b.work / "logs" / scenario / input_name

    def one(tool, label):
        cache = b.cache(tool, "cold" if cold else "warm")
        if cold and cache.exists():
            shutil.rmtree(cache)  # untimed: every cold run starts from an empty cache
        out = outdir / f"{tool}.txt"
        if out.exists():
            out.unlink()  # no existing pins to prefer: every run resolves from scratch
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = b.compile_cmd(tool, src, out, cache, hashes, extra)
        return run_measured(cmd, b.env_for(tool, cache), b.inputs, args.timeout,
                            logs / f"{tool}-{label}")

    if not cold:  # one untimed run fills the warm cache
        for tool in tools:
            if not row[tool].active:
                continue
            r = one(tool, "warmup")
            log(f"  [{scenario} {input_name}] {tool} warm-up: {r.status} {r.seconds:.2f} s")
            if r.status != "ok":
                row[tool].record(r, None)
    for i in range(runs):
        for tool in tools:
            cell = row[tool]
            if not cell.active:
                continue
            r = one(tool, f"run{i + 1}")
            cell.record(r, args.skip_slow)
            log(f"  [{scenario} {input_name}] {tool} run {i + 1}/{runs}: {r.status} "
                f"{r.seconds:.3f} s {r.max_rss_kib / 1024:.0f} MB")

    # Sanity: pinion's and uv's pins agree (last successful run of each).
    if "pinion" in row and "uv" in row and row["pinion"].times and row["uv"].times:
        p, u = read_pins(outdir / "pinion.txt"), read_pins(outdir / "uv.txt")
        if p is not None and u is not None:
            same, diffs = compare_pins(p, u)
            if diffs:
                warnings.append(f"{scenario} {input_name}: pinion's and uv's pins differ "
                                f"({same} agree, {len(diffs)} differ: {'; '.join(diffs[:12])})")
            else:
                log(f"  [{scenario} {input_name}] pinion and uv agree on all {same} pins")
            if hashes:
                ph, uh = read_hashes(outdir / "pinion.txt"), read_hashes(outdir / "uv.txt")
                bad = sorted(n for n in set(ph) & set(uh) if ph[n] != uh[n])
                if bad:
                    warnings.append(f"{scenario} {input_name}: pinion's and uv's hashes differ "
                                    f"for {len(bad)} pins: {', '.join(bad[:12])}")
                else:
                    log(f"  [{scenario} {input_name}] pinion and uv list the same hashes")


def measure_sync(b, scenario, lock, tools, runs, cells, warnings):
    args = b.args
    label = lock.name
    row = {t: Cell(label, scenario, t) for t in tools}
    cells.extend(row.values())
    logs = b.work / "logs" / scenario
    venvs = b.work / "venvs" / scenario

    cold = scenario == "sync-cold"
    venvs_of = {}

    def one(tool, venv, name):
        cache = b.cache(tool, "warm")
        if cold:
            # An empty cache (pip-sync's is pip's HTTP cache, PIP_CACHE_DIR) of its own per run,
            # never one removed just before: ext4 without a journal skips the inodes freed in
            # the last 30 s when it allocates (`recently_deleted`), so removing the previous
            # run's ~20,000 files made every run slower than the last (benches/RESULTS.md,
            # "Cold sync, round 4"). The folders are removed when the benchmark ends.
            cache = b.cache(tool, "sync-cold") / f"{name}-{time.time_ns()}"
            b.trash.append(cache)
        env = b.env_for(tool, cache)
        return run_measured(b.sync_cmd(tool, lock, venv, cache), env,
                            b.work, args.timeout, logs / f"{tool}-{name}")

    # Untimed warm-up: one sync into a throwaway venv fills each tool's cache; for the no-op
    # scenario that venv is then the one synced again and again. (A cold sync has none.)
    for tool in tools if not cold else []:
        venv = venvs / tool
        b.fresh_venv(tool, venv)
        r = one(tool, venv, "warmup")
        log(f"  [{scenario} {label}] {tool} warm-up: {r.status} {r.seconds:.2f} s")
        if r.status != "ok":
            row[tool].record(r, None)
    if scenario == "sync-noop":
        # A no-op sync happens long after the install it repeats; pinion checks file by file
        # the directories changed within the last second (see install/checked.rs), and then
        # remembers the result: one untimed no-op sync a moment later, as a user's would be.
        time.sleep(1.5)
        for tool in tools:
            if row[tool].active:
                one(tool, venvs / tool, "settle")
    for i in range(runs):
        for tool in tools:
            cell = row[tool]
            if not cell.active:
                continue
            venv = venvs / tool
            if scenario in ("sync-fresh", "sync-cold"):
                # A venv of its own per run, as the cold cache: none is removed just before.
                venv = venvs / f"{tool}-run{i + 1}-{time.time_ns()}"
                venvs_of[tool] = venv
                b.trash.append(venv)
                b.fresh_venv(tool, venv)  # untimed
            r = one(tool, venv, f"run{i + 1}")
            cell.record(r, args.skip_slow)
            log(f"  [{scenario} {label}] {tool} run {i + 1}/{runs}: {r.status} "
                f"{r.seconds * 1000:.1f} ms {r.max_rss_kib / 1024:.0f} MB")

    # Sanity: the venv holds exactly the pinned versions.
    pins = {n: v for n, v in read_pins(lock).items() if n not in UNSAFE}
    for tool in tools:
        if not row[tool].times:
            continue
        have = installed_dists(venvs_of.get(tool, venvs / tool))
        wrong = [f"{n}=={v} (have {have.get(n, 'none')})" for n, v in sorted(pins.items())
                 if have.get(n) != v]
        extra = sorted(set(have) - set(pins) - UNSAFE)
        if wrong or extra:
            warnings.append(f"{scenario} {label}: {tool}'s venv does not match the lockfile: "
                            f"{len(wrong)} wrong or missing ({'; '.join(wrong[:8])}), "
                            f"extra: {', '.join(extra[:8]) or 'none'}")
        else:
            log(f"  [{scenario} {label}] {tool}'s venv holds the {len(pins)} pins")


def make_sync_lock(b, tools_order, input_name, warnings):
    """The lockfile every tool syncs: compiled once (untimed, with hashes) by --sync-lock-from,
    falling back to the other tools if that one fails."""
    lockdir = b.work / "locks"
    lockdir.mkdir(parents=True, exist_ok=True)
    for tool in tools_order:
        out = lockdir / f"{input_name}.txt"
        cache = b.cache(tool, "warm")
        cmd = b.compile_cmd(tool, f"{input_name}.in", out, cache, True)
        r = run_measured(cmd, b.env_for(tool, cache), b.inputs, b.args.timeout,
                         b.work / "logs" / "lock" / tool)
        if r.status == "ok":
            log(f"sync lockfile: {input_name}.in compiled with hashes by {tool} "
                f"({len(read_pins(out))} pins)")
            return out, tool
        warnings.append(f"compiling the sync lockfile with {tool} failed: "
                        f"{' '.join(map(str, cmd))}\n{r.stderr_tail()}")
    raise SystemExit("no tool could compile the lockfile to sync")


def measure_scaling(b, tools, runs, cells, warnings):
    """Cold compiles of the first N names of inputs/scale.txt, for each N of SCALING_SIZES (capped
    at the list's length): how time and peak memory grow with the work. pinion and uv only."""
    names = [n.strip() for n in (b.inputs / "scale.txt").read_text().splitlines()
             if n.strip() and not n.startswith("#")]
    sizes = sorted({min(int(n), len(names)) for n in b.args.scaling_sizes.split(",")})
    for n in sizes:
        label = f"scale-{n}"
        (b.inputs / f"{label}.in").write_text("\n".join(names[:n]) + "\n")
        log(f"{SCALING} {label}")
        measure_compile(b, SCALING, label, tools, runs, cells, warnings)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def fmt_time(s):
    if s is None:
        return "-"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_cell(cell, runs):
    if cell is None:
        return "-"
    if cell.status != "ok" and not cell.times:
        return cell.status
    text = fmt_time(median(cell.times))
    if len(cell.times) < runs:
        text += f" (n={len(cell.times)}{', then ' + cell.status if cell.status != 'ok' else ''})"
    return text


def fmt_ratio(a, b):
    if a is None or b is None or not a.times or not b.times:
        return "-"
    return f"{median(a.times) / median(b.times):.2f}x"


def fmt_mem(cell):
    if cell is None or not cell.rss:
        return "-"
    return f"{median(cell.rss) / 1024:.0f}"


def table(cells, tools, runs):
    by = {}
    order = []
    for c in cells:
        key = (c.input, c.scenario)
        if key not in by:
            by[key] = {}
            order.append(key)
        by[key][c.tool] = c
    head = ["input", "scenario"] + [f"{t}" for t in tools]
    if "pinion" in tools and "uv" in tools:
        head.append("pinion/uv")
    if "pinion" in tools and "pip-tools" in tools:
        head.append("pip-tools/pinion")
    head += [f"{t} MiB" for t in tools]
    rows = []
    for key in order:
        row = by[key]
        line = [key[0], key[1]] + [fmt_cell(row.get(t), runs) for t in tools]
        if "pinion" in tools and "uv" in tools:
            line.append(fmt_ratio(row.get("pinion"), row.get("uv")))
        if "pinion" in tools and "pip-tools" in tools:
            line.append(fmt_ratio(row.get("pip-tools"), row.get("pinion")))
        line += [fmt_mem(row.get(t)) for t in tools]
        rows.append(line)
    return head, rows


def targets(cells):
    """Issue 18's goals (and issue 7's leads, kept), checked against the medians: a list of
    (goal, verdict, numbers)."""
    cell = {(c.input, c.scenario, c.tool): c for c in cells}
    keys = []
    for c in cells:
        if (c.input, c.scenario) not in keys:
            keys.append((c.input, c.scenario))

    def ratio(key):
        p, u = cell.get(key + ("pinion",)), cell.get(key + ("uv",))
        if p is None or u is None or not u.times or p.status == "skipped":
            return None, "no uv median"
        if not p.times:
            return float("inf"), f"pinion {p.status}"
        r = median(p.times) / median(u.times)
        return r, f"{r:.2f}x ({fmt_time(median(p.times))} vs {fmt_time(median(u.times))})"

    out = []
    for scenario, limit, title in (
            ("compile-cold", 0.7, "cold compile <= 0.7x uv on every input"),
            ("sync-cold", 0.8, "cold sync into a fresh venv (empty caches) <= 0.8x uv"),
            ("compile-revalidate", 0.5, "revalidating compile <= 0.5x uv"),
            ("compile-universal-warm", 1.0, "universal compile, warm, <= 1.0x uv"),
            ("compile-universal-cold", 1.0, "universal compile, cold, <= 1.0x uv"),
            ("compile-warm", 1.0, "warm compile <= 1.0x uv on every input (kept)"),
            ("compile-hashes-warm", 1.0, "warm compile with hashes <= 1.0x uv (kept)"),
            ("sync-fresh", 1.0, "sync into a fresh venv from a warm cache <= 1.0x uv (kept)")):
        found = [(k[0],) + ratio(k) for k in keys if k[1] == scenario]
        found = [f for f in found if f[1] is not None]
        skipped = [k[0] for k in keys if k[1] == scenario and
                   getattr(cell.get(k + ("pinion",)), "status", None) == "skipped"]
        if skipped and not found:
            out.append((title, "not measured", "this pinion has no `--universal` yet: rerun "
                        "`--scenarios compile-universal-warm,compile-universal-cold` once it has"))
        if not found:
            continue
        met = all(r <= limit for _, r, _ in found)
        out.append((title, "met" if met else "not met",
                    "; ".join(f"{i}: {text}" for i, _, text in found)))
    noop = [cell[k + ("pinion",)] for k in keys if k[1] == "sync-noop" and k + ("pinion",) in cell]
    if noop:
        c = noop[0]
        if c.times:
            out.append(("no-op sync under 10 ms (kept)",
                        "met" if median(c.times) < 0.010 else "not met",
                        f"{fmt_time(median(c.times))}"))
        else:
            out.append(("no-op sync under 10 ms (kept)", "not met", f"pinion {c.status}"))
    mem = []
    for k in keys:
        p, u = cell.get(k + ("pinion",)), cell.get(k + ("uv",))
        if p is not None and u is not None and p.rss and u.rss:
            mem.append((k, median(p.rss) / 1024, median(u.rss) / 1024))
    if mem:
        over = [f"{k[0]} {k[1]}: {pm:.0f} vs {um:.0f} MiB" for k, pm, um in mem if pm > um]
        out.append(("peak memory <= uv's (kept)", "met" if not over else "not met",
                    f"pinion above uv in {len(over)} of {len(mem)} cells" +
                    (": " + "; ".join(over) if over else "")))
    return out


COLORS = {"pinion": "#d9480f", "uv": "#5f3dc4", "pip-tools": "#868e96"}


def esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg_bars(cells, tools, top, width):
    """Horizontal bars, one group per (input, scenario) cell, on a log scale of seconds: the
    cells span four orders of magnitude (a no-op sync against a pip-tools compile)."""
    import math
    groups, by = [], {}
    for c in cells:
        if c.scenario == SCALING:
            continue
        key = (c.input, c.scenario)
        if key not in by:
            by[key] = {}
            groups.append(key)
        by[key][c.tool] = c
    times = [median(c.times) for row in by.values() for c in row.values() if c.times]
    if not times:
        return [], top
    lo = 10 ** math.floor(math.log10(min(times)))
    hi = 10 ** math.ceil(math.log10(max(times)))
    left, right = 250, width - 90
    x = lambda t: left + (right - left) * (math.log10(t) - math.log10(lo)) / (
        math.log10(hi) - math.log10(lo))
    bar, gap = 9, 10
    out = [f'<text x="20" y="{top}" class="h">Median wall time per cell (log scale; shorter is '
           f'faster)</text>']
    y = top + 18
    height = len(groups) * (len(tools) * bar + gap)
    decade = lo
    while decade <= hi * 1.001:
        out.append(f'<line x1="{x(decade):.1f}" y1="{y - 4}" x2="{x(decade):.1f}" '
                   f'y2="{y + height}" class="grid"/>')
        out.append(f'<text x="{x(decade):.1f}" y="{y + height + 14}" class="t" '
                   f'text-anchor="middle">{fmt_time(decade)}</text>')
        decade *= 10
    for key in groups:
        out.append(f'<text x="{left - 8}" y="{y + len(tools) * bar / 2 + 4:.1f}" class="t" '
                   f'text-anchor="end">{esc(key[0])} · {esc(key[1])}</text>')
        for tool in tools:
            c = by[key].get(tool)
            if c is not None and c.times:
                t = median(c.times)
                out.append(f'<rect x="{left}" y="{y}" width="{max(x(t) - left, 1):.1f}" '
                           f'height="{bar - 1}" fill="{COLORS[tool]}"><title>{tool}: '
                           f'{fmt_time(t)}</title></rect>')
                out.append(f'<text x="{x(t) + 4:.1f}" y="{y + bar - 1}" class="v">'
                           f'{fmt_time(t)}</text>')
            elif c is not None:
                out.append(f'<text x="{left + 4}" y="{y + bar - 1}" class="v">{tool}: '
                           f'{esc(c.status)}</text>')
            y += bar
        y += gap
    return out, y + 30


def svg_lines(cells, tools, top, left, width, what, value, unit):
    """One line per tool over the scaling series: `value(cell)` against the number of names."""
    series = {t: sorted((int(c.input.split("-")[1]), value(c)) for c in cells
                        if c.scenario == SCALING and c.tool == t and c.times)
              for t in tools}
    points = [p for s in series.values() for p in s]
    if not points:
        return [], top
    xmax = max(n for n, _ in points)
    ymax = max(v for _, v in points) * 1.1
    h = 170
    x = lambda n: left + 40 + (width - 60) * n / xmax
    y = lambda v: top + 20 + h - h * v / ymax
    out = [f'<text x="{left}" y="{top}" class="h">{esc(what)} against top-level names '
           f'(cold compile)</text>',
           f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(xmax):.1f}" y2="{y(0):.1f}" class="ax"/>',
           f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(0):.1f}" y2="{top + 20}" class="ax"/>',
           f'<text x="{x(0) - 4:.1f}" y="{top + 24}" class="t" text-anchor="end">'
           f'{ymax:.3g} {unit}</text>',
           f'<text x="{x(0) - 4:.1f}" y="{y(0):.1f}" class="t" text-anchor="end">0</text>']
    for n in sorted({n for n, _ in points}):
        out.append(f'<text x="{x(n):.1f}" y="{y(0) + 14:.1f}" class="t" '
                   f'text-anchor="middle">{n}</text>')
    stopped = [(t, int(c.input.split("-")[1]), c.status) for t in tools for c in cells
               if c.scenario == SCALING and c.tool == t and not c.times]
    for i, (tool, n, status) in enumerate(sorted(stopped)[:3]):
        out.append(f'<text x="{x(0) + 8:.1f}" y="{top + 34 + 13 * i}" class="t" '
                   f'fill="{COLORS[tool]}">{tool}: {esc(status)} at {n} names</text>')
    for tool, s in series.items():
        if not s:
            continue
        path = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in s)
        out.append(f'<polyline points="{path}" fill="none" stroke="{COLORS[tool]}" '
                   f'stroke-width="2"/>')
        for n, v in s:
            out.append(f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="3" fill="{COLORS[tool]}">'
                       f'<title>{tool}, {n} names: {v:.3g} {unit}</title></circle>')
    return out, y(0) + 40


def render_svg(cells, tools, meta):
    """The results as a chart drawn by hand (no plotting library): bars per cell, then the
    scaling series as lines (time and peak memory)."""
    width = 900
    names = ", ".join(tools[:-1]) + " and " + tools[-1] if len(tools) > 1 else tools[0]
    body = [f'<text x="20" y="28" class="title">{esc(names)}: {esc(meta["date"])}, '
            f'{meta["machine"]["cores"]} cores</text>']
    x = 20
    for tool in tools:
        body.append(f'<rect x="{x}" y="40" width="12" height="12" fill="{COLORS[tool]}"/>')
        body.append(f'<text x="{x + 16}" y="50" class="t">{esc(meta["versions"].get(tool, tool))}'
                    f'</text>')
        x += 290
    bars, y = svg_bars(cells, tools, 80, width)
    body += bars
    line_tools = [t for t in tools if t != "pip-tools"]
    time_lines, y1 = svg_lines(cells, line_tools, y, 20, width / 2 - 30, "Seconds",
                               lambda c: median(c.times), "s")
    mem_lines, y2 = svg_lines(cells, line_tools, y, width / 2 + 10, width / 2 - 30,
                              "Peak memory (MiB)", lambda c: median(c.rss) / 1024, "MiB")
    body += time_lines + mem_lines
    height = max(y, y1, y2) + 10
    style = ("text{font-family:system-ui,sans-serif;fill:#212529}.title{font-size:16px;"
             "font-weight:600}.h{font-size:13px;font-weight:600}.t{font-size:11px}"
             ".v{font-size:9px;fill:#495057}.grid{stroke:#dee2e6}.ax{stroke:#495057}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
            f'viewBox="0 0 {width} {height:.0f}"><style>{style}</style>'
            f'<rect width="100%" height="100%" fill="#fff"/>' + "".join(body) + "</svg>\n")


def render_text(head, rows):
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(head, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def render_markdown(head, rows, meta, warnings, failures, goals):
    out = ["# pinion benchmark", ""]
    out.append(f"Run on {meta['date']} with `{meta['command']}`.")
    out.append("")
    for section in ("machine", "versions", "settings"):
        out.append(f"**{section.capitalize()}**: " +
                   "; ".join(f"{k}: {v}" for k, v in meta[section].items()))
        out.append("")
    out.append("Medians of the runs (interleaved across tools); `n=` when fewer runs succeeded "
               "or were made; MiB: the median over the runs of the peak resident memory of the "
               "largest process (ru_maxrss).")
    out.append("")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    out += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    out.append("")
    if goals:
        out.append("## Goals (issue 18, median ratios pinion/uv)")
        out.append("")
        out += [f"- {title}: **{verdict}**. {numbers}" for title, verdict, numbers in goals]
        out.append("")
    if warnings:
        out.append("## Warnings")
        out.append("")
        out += [f"- {w}" for w in warnings]
        out.append("")
    if failures:
        out.append("## Failures")
        out.append("")
        for f in failures:
            out.append(f"- {f['scenario']} {f['input']} {f['tool']}: {f['status']}")
            out.append("")
            out.append("  ```")
            out.append("  " + " ".join(f["cmd"]))
            out += ["  " + line for line in f["output_tail"].splitlines()]
            out.append("  ```")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------

def parse_list(value, allowed, what):
    items = [v.strip() for v in value.split(",") if v.strip()]
    for v in items:
        if v not in allowed:
            raise SystemExit(f"unknown {what} {v!r}: choose from {', '.join(allowed)}")
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="measured runs per tool and cell (5)")
    ap.add_argument("--inputs", default=",".join(INPUTS),
                    help=f"comma-separated compile inputs ({','.join(INPUTS)})")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help=f"comma-separated scenarios ({','.join(SCENARIOS)})")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated ({','.join(TOOLS)})")
    ap.add_argument("--pinion", help="the pinion binary to measure (default: cargo build --release)")
    ap.add_argument("--target-dir", default=str(REPO / "target"),
                    help="cargo --target-dir when building pinion (default: the repository's target/)")
    ap.add_argument("--python", default=os.path.realpath(sys.executable),
                    help="the target interpreter of every tool and of the sync venvs "
                         "(default: the one running this script)")
    ap.add_argument("--index-url", help="the index every tool uses (default: the one pip is "
                                        "configured with, else pip's default)")
    ap.add_argument("--tools-venv", help="venv holding uv and pip-tools; created (from the package "
                                         "registry) if missing; default: a temporary one")
    ap.add_argument("--uv", default="uv", help="pip requirement for uv (e.g. uv==0.5.0)")
    ap.add_argument("--pip-tools", default="pip-tools", help="pip requirement for pip-tools")
    ap.add_argument("--sync-input", default="big", choices=INPUTS,
                    help="the input whose lockfile (with hashes) the sync scenarios sync (big)")
    ap.add_argument("--cold-sync-input", default="django", choices=INPUTS,
                    help="the input whose lockfile (with hashes) sync-cold syncs (django)")
    ap.add_argument("--scaling-sizes", default=",".join(map(str, SCALING_SIZES)),
                    help="numbers of top-level names of the scaling series (1,10,50,150,300; "
                         "capped at the length of inputs/scale.txt)")
    ap.add_argument("--scaling-runs", type=int, default=3,
                    help="runs per tool and size of the scaling series (3)")
    ap.add_argument("--svg", help="also draw the results as an SVG chart into this file")
    ap.add_argument("--sync-lock-from", default="uv", choices=TOOLS,
                    help="the tool that compiles that lockfile, once, untimed (uv)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds before a run is killed and recorded as timeout (600)")
    ap.add_argument("--skip-slow", type=float, metavar="SECS",
                    help="after a run longer than SECS, that tool gets no more runs in that cell")
    ap.add_argument("--workdir", help="keep caches, venvs, outputs and logs here (default: a "
                                      "temporary directory, removed at the end)")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    ap.add_argument("--json", help="also write every measurement as JSON to this file")
    args = ap.parse_args()

    inputs = parse_list(args.inputs, INPUTS, "input")
    scenarios = parse_list(args.scenarios, SCENARIOS, "scenario")
    tools = parse_list(args.tools, TOOLS, "tool")
    tools = [t for t in TOOLS if t in tools]  # a fixed order: pinion, uv, pip-tools
    args.python = os.path.realpath(args.python)

    started = datetime.datetime.now(datetime.timezone.utc)
    tmp = None
    if args.workdir:
        work = Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="pinion-bench-")
        work = Path(tmp)
    log(f"work directory: {work}")
    try:
        tools_venv = Path(args.tools_venv).resolve() if args.tools_venv else work / "tools-venv"
        tools_py = setup_tools_venv(tools_venv, args.python, args.uv, args.pip_tools)
        pinion = Path(args.pinion).resolve() if args.pinion else build_pinion(args.target_dir)
        if not pinion.exists():
            raise SystemExit(f"no pinion binary at {pinion}")
        index = args.index_url or pip_index_url(tools_py)
        if (work / "inputs").exists():
            shutil.rmtree(work / "inputs")
        shutil.copytree(INPUTS_DIR, work / "inputs")

        meta = {
            "date": started.strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python3 benches/run.py " + " ".join(sys.argv[1:]),
            "machine": machine(),
            "versions": versions(pinion, tools_venv, args.python, not args.pinion),
            "settings": {"runs": args.runs, "timeout": f"{args.timeout:g} s",
                         "skip-slow": f"{args.skip_slow:g} s" if args.skip_slow else "off",
                         "index": "pip's configured index" if not args.index_url else "--index-url",
                         "sync lockfile": f"{args.sync_input}.in compiled with hashes by "
                                          f"{args.sync_lock_from}"},
        }
        for k, v in meta["versions"].items():
            log(f"{k}: {v}")

        b = Bench(args, work, pinion, tools_venv, index)
        cells, warnings = [], []
        for scenario in scenarios:
            if scenario in COMPILE_SCENARIOS:
                for input_name in inputs:
                    log(f"{scenario} {input_name}")
                    measure_compile(b, scenario, input_name, tools, args.runs, cells, warnings)
        sync = [s for s in scenarios if s in SYNC_SCENARIOS]
        order = [args.sync_lock_from] + [t for t in TOOLS if t != args.sync_lock_from]
        if [s for s in sync if s != "sync-cold"]:
            lock, by = make_sync_lock(b, order, args.sync_input, warnings)
            meta["settings"]["sync lockfile"] = (f"{args.sync_input}.in compiled with hashes by "
                                                 f"{by} ({len(read_pins(lock))} pins)")
            for scenario in sync:
                if scenario != "sync-cold":
                    log(f"{scenario} {lock.name}")
                    measure_sync(b, scenario, lock, tools, args.runs, cells, warnings)
        if "sync-cold" in sync:
            lock, by = make_sync_lock(b, order, args.cold_sync_input, warnings)
            meta["settings"]["cold sync lockfile"] = (
                f"{args.cold_sync_input}.in compiled with hashes by {by} "
                f"({len(read_pins(lock))} pins)")
            log(f"sync-cold {lock.name}")
            measure_sync(b, "sync-cold", lock, tools, args.runs, cells, warnings)
        if SCALING in scenarios:
            measure_scaling(b, [t for t in tools if t != "pip-tools"], args.scaling_runs, cells,
                            warnings)

        failures = [c.to_json() | {"cmd": [str(x) for x in c.error[0]],
                                   "output_tail": c.error[1]}
                    for c in cells if c.error is not None and c.status != "skipped"]
        head, rows = table(cells, tools, args.runs)
        print()
        print(render_text(head, rows))
        goals = targets(cells)
        print()
        for title, verdict, numbers in goals:
            print(f"target: {title}: {verdict}. {numbers}")
        for w in warnings:
            print(f"warning: {w}")
        for f in failures:
            print(f"{f['status']}: {f['scenario']} {f['input']} {f['tool']}: {' '.join(f['cmd'])}\n"
                  f"{f['output_tail']}")
        if args.svg:
            Path(args.svg).write_text(render_svg(cells, tools, meta))
        if args.markdown:
            # The repository names no remote host: the index URL is written as a placeholder.
            text = render_markdown(head, rows, meta, warnings, failures, goals)
            Path(args.markdown).write_text(text.replace(b.index, "<default index>"))
        if args.json:
            Path(args.json).write_text(json.dumps(
                {"meta": meta, "cells": [c.to_json() for c in cells], "warnings": warnings},
                indent=1))
        for path in b.trash:
            shutil.rmtree(path, ignore_errors=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
