# Run by pinion as `python -I -B -c <this script>`: prints one JSON object describing the
# interpreter. It reports raw facts; pinion derives the wheel tags from them (src/python/tags.rs),
# so that an interpreter and a `--python-version` target share one implementation.
#
# Keep this file importable by every Python 3 (no walrus, no match): an interpreter that is too
# old must still get as far as saying so.
import json
import os
import platform
import re
import struct
import subprocess
import sys
import sysconfig


def implementation_version():
    # PEP 508: `implementation_version` is sys.implementation.version formatted like this.
    info = sys.implementation.version
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def markers():
    # PEP 508 "Environment Markers", value by value.
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": implementation_version(),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def is_venv():
    # PEP 405 venvs set sys.base_prefix; virtualenv < 20 set sys.real_prefix instead.
    return sys.prefix != getattr(sys, "base_prefix", sys.prefix) or hasattr(sys, "real_prefix")


def scheme():
    # The install scheme pip uses (pip/_internal/locations/_sysconfig.py): the default sysconfig
    # scheme, except that headers of a package in a venv go to <prefix>/include/site/pythonX.Y.
    paths = sysconfig.get_paths()
    include = paths["include"]
    if is_venv():
        include = os.path.join(
            sys.prefix, "include", "site", "python{}.{}".format(*sys.version_info[:2])
        )
    return {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "scripts": paths["scripts"],
        "data": paths["data"],
        "include": include,
    }


def glibc_version():
    # packaging/_manylinux.py: confstr first, then ask the C library itself.
    try:
        _, version = os.confstr("CS_GNU_LIBC_VERSION").split()
        return version
    except (AttributeError, OSError, TypeError, ValueError):
        pass
    try:
        import ctypes

        process = ctypes.CDLL(None)
        function = process.gnu_get_libc_version
        function.restype = ctypes.c_char_p
        return function().decode("ascii")
    except Exception:
        return None


def elf_interpreter(path):
    # The PT_INTERP entry of an ELF file: the dynamic loader, which names the libc.
    with open(path, "rb") as f:
        ident = f.read(16)
        if len(ident) < 16 or ident[:4] != b"\x7fELF":
            return None
        bits = {1: 32, 2: 64}.get(ident[4])
        order = {1: "<", 2: ">"}.get(ident[5])
        if bits is None or order is None:
            return None
        if bits == 64:
            header = struct.unpack(order + "HHIQQQIHHH", f.read(48))
        else:
            header = struct.unpack(order + "HHIIIIIHHH", f.read(36))
        phoff, phentsize, phnum = header[4], header[8], header[9]
        for index in range(phnum):
            f.seek(phoff + phentsize * index)
            if bits == 64:
                p_type, _, p_offset, _, _, p_filesz = struct.unpack(order + "IIQQQQ", f.read(40))
            else:
                p_type, p_offset, _, _, p_filesz = struct.unpack(order + "IIIII", f.read(20))
            if p_type == 3:
                f.seek(p_offset)
                return f.read(p_filesz).rstrip(b"\0").decode("utf-8", "replace")
    return None


def musl_version():
    # packaging/_musllinux.py: the musl loader prints its version when run without arguments.
    try:
        loader = elf_interpreter(sys.executable)
    except (OSError, struct.error):
        return None
    if not loader or "musl" not in loader:
        return None
    try:
        proc = subprocess.run([loader], stderr=subprocess.PIPE, universal_newlines=True)
    except OSError:
        return None
    match = re.search(r"Version (\d+)\.(\d+)", proc.stderr)
    if not match:
        return None
    return "{}.{}".format(match.group(1), match.group(2))


def mac_version():
    # packaging/tags.py mac_platforms(): an interpreter built against an old SDK says 10.16
    # unless asked with SYSTEM_VERSION_COMPAT=0.
    version, _, arch = platform.mac_ver()
    if version.split(".")[:2] == ["10", "16"]:
        version = subprocess.run(
            [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
            check=True,
            env={"SYSTEM_VERSION_COMPAT": "0"},
            stdout=subprocess.PIPE,
            universal_newlines=True,
        ).stdout.strip()
    return {"version": version, "arch": arch}


def config_flag(name):
    value = sysconfig.get_config_var(name)
    return None if value is None else bool(value)


def cpython_abi():
    # The inputs of packaging/tags.py _cpython_abis(). Windows doesn't set Py_DEBUG, hence the
    # fallbacks (pip issue 3383).
    debug = config_flag("Py_DEBUG")
    if debug is None:
        import importlib.machinery

        debug = hasattr(sys, "gettotalrefcount") or "_d.pyd" in importlib.machinery.EXTENSION_SUFFIXES
    pymalloc = config_flag("WITH_PYMALLOC")
    return {
        "debug": debug,
        "free_threaded": bool(config_flag("Py_GIL_DISABLED")),
        "pymalloc": True if pymalloc is None else pymalloc,
    }


def normalize(value):
    return value.replace(".", "_").replace("-", "_").replace(" ", "_")


def generic_abi():
    # packaging/tags.py generic_tags() for interpreters other than CPython.
    short = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
    name = short.get(sys.implementation.name, sys.implementation.name)
    nodot = sysconfig.get_config_var("py_version_nodot") or "".join(map(str, sys.version_info[:2]))
    abis = []
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    parts = ext_suffix.split(".")
    soabi = parts[1] if len(parts) >= 3 else ""
    if soabi.startswith("cpython"):
        abis.append("cp" + soabi.split("-")[1])
    elif soabi.startswith("cp"):
        abis.append(soabi.split("-")[0])
    elif soabi.startswith("pypy"):
        abis.append("-".join(soabi.split("-")[:2]))
    elif soabi.startswith("graalpy"):
        abis.append("-".join(soabi.split("-")[:3]))
    elif soabi:
        abis.append(soabi)
    return {
        "interpreter": name + str(nodot),
        "abis": [normalize(abi) for abi in abis],
        "compatible_interpreter": "pp3" if name == "pp" else None,
    }


def main():
    if sys.version_info < (3, 7):
        print(json.dumps({"unsupported": platform.python_version()}))
        return
    is_cpython = sys.implementation.name == "cpython"
    info = {
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "real_prefix", getattr(sys, "base_prefix", sys.prefix)),
        "is_venv": is_venv(),
        "scheme": scheme(),
        "markers": markers(),
        "sysconfig_platform": sysconfig.get_platform(),
        "pointer_size": struct.calcsize("P") * 8,
        "glibc_version": glibc_version() if sys.platform.startswith("linux") else None,
        "musl_version": musl_version() if sys.platform.startswith("linux") else None,
        "mac": mac_version() if sys.platform == "darwin" else None,
        "cpython": cpython_abi() if is_cpython else None,
        "generic": None if is_cpython else generic_abi(),
    }
    print(json.dumps(info))


main()
