"""A small PEP 517 / PEP 660 build backend for pinion's tests; the fixture index publishes it as
the package `pinion-test-backend`.

It reads `[project]` from pyproject.toml (name, version, dependencies, optional-dependencies,
requires-python) and ships the top-level package named after the project. With
`[tool.pinion-test-backend] fail = "message"` every hook prints the message and fails, and with
`dynamic-requires = ["dep"]` the wheel's METADATA gets requirements pyproject.toml does not list;
with `requires-for-wheel = ["dep"]` (`-sdist`, `-editable`) the `get_requires_for_build_*`
hook returns those build requirements; with `needs-build-env-on-path = true` every hook fails unless the build env's scripts come first
on PATH and VIRTUAL_ENV names it (as a backend running `meson` or `ninja` needs).
"""

import base64
import hashlib
import os
import re
import shutil
import sys
import tomllib
import zipfile

print("pinion-test-backend: loaded", file=sys.stderr)


def _config():
    with open("pyproject.toml", "rb") as f:
        data = tomllib.load(f)
    project = data["project"]
    tool = data.get("tool", {}).get("pinion-test-backend", {})
    if tool.get("needs-build-env-on-path"):
        # As meson-python's backend runs `meson`: the tool must come from the build env.
        scripts = os.path.dirname(sys.executable)
        found = shutil.which(os.path.basename(sys.executable))
        if found is None or os.path.dirname(found) != scripts:
            print("pinion-test-backend: the build env's scripts are not first on PATH")
            raise SystemExit(1)
        if os.environ.get("VIRTUAL_ENV") != sys.prefix:
            print("pinion-test-backend: VIRTUAL_ENV is not the build env")
            raise SystemExit(1)
    if "fail" in tool:
        print("pinion-test-backend: " + tool["fail"])
        print("pinion-test-backend: giving up", file=sys.stderr)
        raise SystemExit(1)
    return project, tool


def _dist_name(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata(project, tool):
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + project["name"],
        "Version: " + project["version"],
    ]
    if "requires-python" in project:
        lines.append("Requires-Python: " + project["requires-python"])
    for requirement in project.get("dependencies", []) + tool.get("dynamic-requires", []):
        lines.append("Requires-Dist: " + requirement)
    for extra, requirements in project.get("optional-dependencies", {}).items():
        lines.append("Provides-Extra: " + extra)
        for requirement in requirements:
            lines.append('Requires-Dist: %s; extra == "%s"' % (requirement, extra))
    return "\n".join(lines) + "\n"


def _dist_info(project):
    return "%s-%s.dist-info" % (_dist_name(project["name"]), project["version"])


def _write_wheel(directory, project, tool, files):
    name = "%s-%s-py3-none-any.whl" % (_dist_name(project["name"]), project["version"])
    dist_info = _dist_info(project)
    files = dict(files)
    files[dist_info + "/METADATA"] = _metadata(project, tool).encode()
    files[dist_info + "/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: pinion-test-backend\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record = []
    for path, data in sorted(files.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append("%s,sha256=%s,%d" % (path, digest.decode(), len(data)))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(os.path.join(directory, name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return name


def _requires_for(target):
    _, tool = _config()
    return list(tool.get("requires-for-" + target, []))


def get_requires_for_build_wheel(config_settings=None):
    return _requires_for("wheel")


def get_requires_for_build_editable(config_settings=None):
    return _requires_for("editable")


def get_requires_for_build_sdist(config_settings=None):
    return _requires_for("sdist")


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project, tool = _config()
    dist_info = os.path.join(metadata_directory, _dist_info(project))
    os.makedirs(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w") as f:
        f.write(_metadata(project, tool))
    print("pinion-test-backend: metadata of " + project["name"])
    return _dist_info(project)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project, tool = _config()
    package = _dist_name(project["name"])
    files = {}
    for root, _, names in os.walk(package):
        for name in names:
            if name.endswith(".pyc"):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                files[path.replace(os.sep, "/")] = f.read()
    print("pinion-test-backend: wheel of " + project["name"])
    return _write_wheel(wheel_directory, project, tool, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    project, tool = _config()
    pth = "_%s_editable.pth" % _dist_name(project["name"])
    print("pinion-test-backend: editable wheel of " + project["name"])
    return _write_wheel(wheel_directory, project, tool, {pth: (os.getcwd() + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("pinion's tests never build sdists")
