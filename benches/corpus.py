#!/usr/bin/env python3
"""Differential corpus: pinion against uv (and pip as a third opinion) on real packages.

Run by hand, never in CI: it needs the default package index (the one pip and uv discover).

    python3 benches/corpus.py --pinion target/debug/pinion                  # every set
    python3 benches/corpus.py --sets web,cloud --top 40 --out /tmp/corpus.md

For each set in benches/corpus/*.txt (one name per line; `top.txt` is compiled name by name,
the others as one requirements file each) it runs `pinion compile` and `uv pip compile` for the
same `--python-version`, compares the pins, and for every difference asks
`pip install --dry-run --ignore-installed --report` which of the two pip itself would install
(only meaningful when the target Python is the one pip runs on). It prints the agreement and
writes every difference to `--out` (markdown).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETS = HERE / "corpus"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^ ;\\]+)")


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text):
    out = {}
    for line in text.splitlines():
        m = PIN.match(line.strip())
        if m:
            out[normalize(m.group(1))] = m.group(3)
    return out


def run(cmd, cwd, timeout):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", "timeout"


def tools_venv(path):
    path = Path(path)
    if not (path / "bin" / "uv").exists():
        venv.create(path, with_pip=True)
        subprocess.run([path / "bin" / "pip", "install", "-q", "uv"], check=True)
    return path / "bin" / "uv", path / "bin" / "pip"


def compile_both(lines, args, uv, work):
    req = work / "requirements.in"
    req.write_text("\n".join(lines) + "\n")
    common = ["--python-version", args.python_version]
    p_code, p_out, p_err = run(
        [args.pinion, "compile", "-q", "--no-header", "--no-annotate", "--allow-unsafe", "--dry-run", *common, str(req)],
        work, args.timeout)
    u_code, u_out, u_err = run(
        [str(uv), "pip", "compile", "-q", "--no-header", "--no-annotate", *common, str(req)],
        work, args.timeout)
    return (p_code, pins(p_out), p_err), (u_code, pins(u_out), u_err)


def pip_opinion(lines, pip, work, timeout):
    report = work / "pip-report.json"
    code, _, err = run([str(pip), "install", "--dry-run", "--ignore-installed", "-q", "--report", str(report), *lines],
                       work, timeout)
    if code != 0 or not report.exists():
        return None
    data = json.loads(report.read_text())
    return {normalize(i["metadata"]["name"]): i["metadata"]["version"] for i in data.get("install", [])}


def verdict(p, u, pip):
    if pip is None:
        return "pip could not resolve it either"
    p_ok = all(pip.get(k) == v for k, v in p.items())
    u_ok = all(pip.get(k) == v for k, v in u.items())
    if p_ok and not u_ok:
        return "pip agrees with pinion"
    if u_ok and not p_ok:
        return "pip agrees with uv"
    if p_ok and u_ok:
        return "pip agrees with both"
    return "pip picks a third answer"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pinion", default=str(HERE.parent / "target" / "debug" / "pinion"))
    ap.add_argument("--tools-venv", default=os.path.join(tempfile.gettempdir(), "pinion-corpus-tools"))
    ap.add_argument("--python-version", default="%d.%d" % sys.version_info[:2])
    ap.add_argument("--sets", default="web,datasci,ml,cloud,dev,top")
    ap.add_argument("--top", type=int, default=0, help="only N names of top.txt (0: all)")
    ap.add_argument("--start", type=int, default=0, help="skip the first N names of top.txt (to run it in slices)")
    ap.add_argument("--json", help="also write every case's outcome here (to merge slices)")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--out", default="corpus-results.md")
    args = ap.parse_args()
    uv, pip = tools_venv(args.tools_venv)
    same_python = args.python_version == "%d.%d" % sys.version_info[:2]

    rows, diffs, outcomes = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.sets.split(","):
            names = [l.strip() for l in (SETS / f"{name}.txt").read_text().splitlines() if l.strip()]
            if name == "top":
                names = names[args.start:]
                cases = [[n] for n in (names[: args.top] if args.top else names)]
            else:
                cases = [names]
            agree = 0
            for lines in cases:
                label = name if len(cases) == 1 else f"{name}:{lines[0]}"
                (pc, pp, pe), (uc, up, ue) = compile_both(lines, args, uv, work)
                outcomes.append({"label": label, "pinion": pc, "uv": uc, "pinion_pins": pp, "uv_pins": up,
                                 "pinion_err": pe[-2000:], "uv_err": ue[-2000:]})
                if pc == 0 and uc == 0 and pp == up:
                    agree += 1
                    print(f"  same  {label} ({len(pp)} pins)", flush=True)
                    continue
                changed = sorted(k for k in set(pp) | set(up) if pp.get(k) != up.get(k))
                opinion = pip_opinion(lines, pip, work, args.timeout) if same_python else None
                who = verdict({k: pp[k] for k in changed if k in pp}, {k: up[k] for k in changed if k in up}, opinion) \
                    if pc == 0 and uc == 0 else ("pinion failed" if pc != 0 else "uv failed")
                detail = ", ".join(f"{k}: pinion {pp.get(k, '-')} / uv {up.get(k, '-')}" for k in changed[:12])
                err = (pe if pc != 0 else ue if uc != 0 else "").strip().splitlines()[-12:]
                diffs.append((label, who, detail, "\n".join(err)))
                print(f"  DIFF  {label}: {who}: {detail}", flush=True)
            rows.append((name, agree, len(cases)))

    with open(args.out, "w") as f:
        f.write(f"# pinion vs uv corpus (Python {args.python_version})\n\n| set | agree | cases |\n|---|---|---|\n")
        for name, agree, total in rows:
            f.write(f"| {name} | {agree} | {total} |\n")
        f.write("\n## Differences\n\n")
        for label, who, detail, err in diffs:
            f.write(f"- **{label}** ({who}): {detail}\n")
            if err:
                f.write("\n  ```\n" + "\n".join("  " + l for l in err.splitlines()) + "\n  ```\n")
    if args.json:
        Path(args.json).write_text(json.dumps(outcomes, indent=1))
    for name, agree, total in rows:
        print(f"{name}: {agree}/{total} agree")


if __name__ == "__main__":
    main()
