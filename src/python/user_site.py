# Run by pinion as `python -B -c <this script>` for `pinion sync --user`: prints one JSON object
# describing the interpreter's user scheme as pip installs into it with `--user`. Not `-I`:
# PYTHONUSERBASE and HOME decide the user base, as they do for pip.
import json
import os
import re
import site
import sys
import sysconfig


def scheme_name():
    # pip/_internal/locations/_sysconfig.py: the preferred user scheme (3.10+), else its name.
    if hasattr(sysconfig, "get_preferred_scheme"):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and sys._framework:
        return "osx_framework_user"
    return "posix_user"


def user_site_visible():
    # pip's virtualenv_no_global(): a venv hides the user site only when its pyvenv.cfg says
    # `include-system-site-packages = false`; virtualenv < 20 when it left
    # no-global-site-packages.txt.
    if hasattr(sys, "real_prefix"):
        marker = os.path.join(os.path.dirname(os.path.abspath(site.__file__)), "no-global-site-packages.txt")
        return not os.path.exists(marker)
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return True
    try:
        with open(os.path.join(sys.prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    for line in lines:
        match = re.match(r"include-system-site-packages\s*=\s*(true|false)", line.strip())
        if match is not None and match.group(1) == "false":
            return False
    return True


def main():
    base = site.getuserbase()
    paths = sysconfig.get_paths(scheme=scheme_name(), vars={"userbase": base})
    stdlib = sysconfig.get_path("stdlib")
    print(
        json.dumps(
            {
                "base": base,
                "site": site.getusersitepackages(),
                "visible": user_site_visible(),
                "externally_managed": os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
                "scheme": {
                    "purelib": paths["purelib"],
                    "platlib": paths["platlib"],
                    "scripts": paths["scripts"],
                    "data": paths["data"],
                    "include": paths.get("include", os.path.join(base, "include")),
                },
            }
        )
    )


main()
