"""Live check of `pinion compile --universal` with real clients (issue 15, "Real clients").

Run by hand: it needs the network, pyenv's Python 3.9, 3.11 and 3.13, and a pinion that has
`--universal`. Standard library only (markers are evaluated with pip's vendored `packaging`).

    python3 benches/universal_live.py                       # target/debug/pinion, a temp workdir
    python3 benches/universal_live.py --pinion target/release/pinion --workdir /tmp/ulive

1. `pinion compile --universal --generate-hashes --python-version 3.9` of
   testdata/live/universal.in (override with --input);
2. for a grid of marker environments (Linux, macOS, Windows; x86_64 and arm64; Python 3.9 to
   3.14), the pins whose markers hold are one version per name;
3. `pip install --require-hashes --no-deps -r` into a fresh venv of each pyenv Python (3.9, 3.11,
   3.13), then `pip check`;
4. `pip download --only-binary :all: --no-deps --platform win_amd64` and
   `--platform macosx_11_0_arm64`, with the matching `--python-version`, of the pins active there;
5. `uv pip compile --universal --python-version 3.9` of the same input (uv installed into a temp
   venv from the index), and the differences in pins and markers.

The index is the one pip is configured with (its configuration, PIP_INDEX_URL), else pip's own
default, read at run time: no host name lives in this repository. PIP_FIND_LINKS is dropped so
that local wheels do not stand in for the index. Exit 1 when a step of 1-4 fails; differences
with uv are printed, for a person to explain.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = {
    # name: (pip --platform, markers)
    "linux-x86_64": (None, ("posix", "linux", "Linux", "x86_64")),
    "linux-aarch64": (None, ("posix", "linux", "Linux", "aarch64")),
    "macos-x86_64": (None, ("posix", "darwin", "Darwin", "x86_64")),
    "macos-arm64": ("macosx_11_0_arm64", ("posix", "darwin", "Darwin", "arm64")),
    "windows-amd64": ("win_amd64", ("nt", "win32", "Windows", "AMD64")),
    "windows-arm64": (None, ("nt", "win32", "Windows", "ARM64")),
}
MINORS = range(9, 15)
VENV_MINORS = (9, 11, 13)


def log(message):
    print(f"[universal-live] {message}", flush=True)


def environ():
    env = dict(os.environ)
    env.pop("PIP_FIND_LINKS", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def run(cmd, **kwargs):
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], env=environ(), text=True, **kwargs)


def default_index(python):
    """What benches/run.py does: pip's configured index-url, else pip's built-in default."""
    listing = subprocess.run([python, "-m", "pip", "config", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=environ()).stdout
    found = {}
    for line in listing.splitlines():
        m = re.match(r"^([^=]+)\.index-url='(.*)'$", line.strip())
        if m:
            found[m.group(1)] = m.group(2)
    for section in (":env:", "install", "global"):
        if section in found:
            return found[section]
    return subprocess.run([python, "-c", "from pip._internal.models.index import PyPI; "
                           "print(PyPI.simple_url)"], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()


def pyenv_python(minor):
    root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, text=True).stdout.strip()
    versions = sorted(Path(root, "versions").glob(f"3.{minor}.*"),
                      key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()])
    if not versions:
        raise SystemExit(f"pyenv has no Python 3.{minor}")
    return versions[-1] / "bin" / "python"


def parse_lockfile(text):
    """[(name, version, marker or '', full entry text)] of a requirements-format lockfile."""
    entries, current = [], ""
    for line in text.splitlines():
        stripped = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
        if stripped.rstrip().endswith("\\"):
            current += stripped.rstrip()[:-1] + " "
            continue
        current += stripped
        entry, current = current.strip(), ""
        if not entry or entry.startswith("-"):
            continue
        requirement = entry.split(" --hash")[0].strip()
        spec, _, marker = requirement.partition(";")
        name, _, version = spec.partition("==")
        name = re.sub(r"[-_.]+", "-", name.split("[")[0].strip()).lower()
        entries.append((name, version.strip(), marker.strip(), entry))
    return entries


def marker_env(platform, minor, full=None):
    os_name, sys_platform, system, machine = PLATFORMS[platform][1]
    full = full or f"3.{minor}.0"
    return {
        "implementation_name": "cpython", "implementation_version": full, "os_name": os_name,
        "platform_machine": machine, "platform_python_implementation": "CPython",
        "platform_release": "", "platform_system": system, "platform_version": "",
        "python_full_version": full, "python_version": f"3.{minor}", "sys_platform": sys_platform,
        "extra": "",
    }


def active(entries, env):
    from pip._vendor.packaging.markers import Marker
    return [e for e in entries if not e[2] or Marker(e[2]).evaluate(env)]


def check_grid(entries):
    """One version per name in every grid environment."""
    problems = []
    for platform in PLATFORMS:
        for minor in MINORS:
            seen = {}
            for name, version, _, _ in active(entries, marker_env(platform, minor)):
                if name in seen and seen[name] != version:
                    problems.append(f"{platform} 3.{minor}: {name} {seen[name]} and {version}")
                seen[name] = version
    return problems


def install_and_check(lockfile, minor, work, index):
    venv = work / f"venv3{minor}"
    run([pyenv_python(minor), "-m", "venv", venv], check=True)
    py = venv / "bin" / "python"
    ok = run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--require-hashes",
              "--no-deps", "--index-url", index, "-r", lockfile]).returncode == 0
    ok = ok and run([py, "-m", "pip", "check", "--disable-pip-version-check"]).returncode == 0
    return ok


def download(entries, platform, minor, work, index):
    """pip download of the pins active on `platform` with Python 3.`minor`, wheels only: the
    patch release of pyenv's 3.`minor` (a `.0` would meet Requires-Python like `!=3.9.0`,
    which real installations are past)."""
    full = pyenv_python(minor).parent.parent.name
    pins = active(entries, marker_env(platform, minor, full))
    reqs = work / f"active-{platform}-3{minor}.txt"
    # Without markers: pip evaluates them for the interpreter it runs in, not for --platform
    # and --python-version; the pins are the ones active there already.
    lines = []
    for name, version, _, entry in pins:
        hashes = " ".join(re.findall(r"--hash=\S+", entry))
        lines.append(f"{name}=={version} {hashes}".strip())
    reqs.write_text("\n".join(lines) + "\n")
    dest = work / f"download-{platform}-3{minor}"

    def fetch(requirements):
        return run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                    "--only-binary", ":all:", "--no-deps", "--platform", PLATFORMS[platform][0],
                    "--python-version", full, "--index-url", index, "-d", dest, "-r",
                    requirements], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    ok = fetch(reqs).returncode == 0
    if not ok:
        # pip stops at the first pin without a file: try each one to name them all.
        missing = []
        for line in lines:
            one = work / "one.txt"
            one.write_text(line + "\n")
            if fetch(one).returncode != 0:
                missing.append(line.split(" ")[0])
        log(f"{platform} {full}: no wheel for {', '.join(missing)}")
    files = len(list(dest.glob("*"))) if dest.exists() else 0
    log(f"{platform} {full}: {len(pins)} active pins, {files} files downloaded")
    return ok and files == len(pins)


def compare_with_uv(ours, input_file, work, index, python_min):
    tools = work / "uv-venv"
    run([sys.executable, "-m", "venv", tools], check=True)
    run([tools / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--index-url", index, "uv"], check=True)
    out = work / "uv.txt"
    run([tools / "bin" / "uv", "pip", "compile", "-q", "--no-config", "--universal",
         "--python-version", python_min, "--index-url", index, "--cache-dir", work / "uv-cache",
         "-o", out, input_file], check=True)
    from pip._vendor.packaging.markers import Marker

    def table(entries):
        found = {}
        for name, version, marker, _ in entries:
            found.setdefault(name, []).append((version, str(Marker(marker)) if marker else ""))
        return {name: sorted(pins) for name, pins in found.items()}

    theirs = table(parse_lockfile(out.read_text()))
    mine = table(ours)
    differences = []
    for name in sorted(set(mine) | set(theirs)):
        if mine.get(name) != theirs.get(name):
            differences.append(f"{name}: pinion {mine.get(name)} | uv {theirs.get(name)}")
    log(f"uv pins {sum(map(len, theirs.values()))}, pinion {sum(map(len, mine.values()))}; "
        f"{len(differences)} names differ")
    for difference in differences:
        print("    " + difference)
    return differences


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pinion", default=str(ROOT / "target" / "debug" / "pinion"))
    parser.add_argument("--input", default=str(ROOT / "testdata" / "live" / "universal.in"))
    parser.add_argument("--workdir", help="kept afterwards (default: a temporary folder)")
    parser.add_argument("--python-version", default="3.9", help="the universe's lower bound")
    parser.add_argument("--index-url", help="default: the one pip uses")
    parser.add_argument("--skip-uv", action="store_true")
    parser.add_argument("--skip-install", action="store_true", help="no venvs: step 3 skipped")
    parser.add_argument("--lockfile", help="check this universal lockfile (e.g. uv's) instead "
                        "of compiling one with pinion: steps 2-5 only")
    args = parser.parse_args()
    index = args.index_url or default_index(sys.executable)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pinion-universal-live-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"work directory {work}")
    input_file = work / "universal.in"
    input_file.write_text(Path(args.input).read_text())
    lockfile = work / "universal.txt"
    if args.lockfile:
        lockfile.write_text(Path(args.lockfile).read_text())
    else:
        started = time.monotonic()
        run([args.pinion, "compile", "--universal", "--generate-hashes", "--python-version",
             args.python_version, "--index-url", index, "--cache-dir", work / "pinion-cache",
             "-o", lockfile, input_file], check=True)
        log(f"compiled in {time.monotonic() - started:.1f}s")
    entries = parse_lockfile(lockfile.read_text())
    names = {e[0] for e in entries}
    log(f"{len(entries)} pins of {len(names)} packages, "
        f"{sum(1 for e in entries if e[2])} with markers")
    failures = [f"grid: {p}" for p in check_grid(entries)]
    if not args.lockfile:
        run([args.pinion, "check", lockfile])
    for minor in () if args.skip_install else VENV_MINORS:
        if not install_and_check(lockfile, minor, work, index):
            failures.append(f"pip install + pip check into Python 3.{minor}")
    for platform in ("windows-amd64", "macos-arm64"):
        for minor in VENV_MINORS:
            if not download(entries, platform, minor, work, index):
                failures.append(f"pip download for {platform} 3.{minor}")
    if not args.skip_uv:
        compare_with_uv(entries, input_file, work, index, args.python_version)
    for failure in failures:
        log(f"FAILED: {failure}")
    log("all client checks passed" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
