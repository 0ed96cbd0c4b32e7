"""Runs one PEP 517 / PEP 660 hook of a build backend for pinion, in the build environment.

usage: hooks.py BACKEND BACKEND_PATH_JSON HOOK OUTPUT_DIR RESULT_FILE

The hook's return value goes to RESULT_FILE as JSON, so whatever the backend prints on stdout
and stderr stays the build's log. An optional hook the backend lacks gives {"missing": true}.
"""

import importlib
import json
import os
import sys


def load_backend(spec, backend_path):
    # PEP 517: in-tree backends are found through `backend-path`, searched first.
    for path in reversed(backend_path):
        sys.path.insert(0, os.path.abspath(path))
    module_name, _, attributes = spec.partition(":")
    backend = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        backend = getattr(backend, attribute)
    return backend


def main():
    spec, backend_path, hook_name, output_dir, result_file = sys.argv[1:6]
    backend = load_backend(spec, json.loads(backend_path))
    hook = getattr(backend, hook_name, None)
    if hook is None:
        result = {"missing": True}
    elif hook_name.startswith("get_requires_for_"):
        result = {"value": list(hook({}))}
    elif hook_name.startswith("prepare_metadata_for_"):
        result = {"value": hook(output_dir, {})}
    else:
        result = {"value": hook(output_dir, {}, None)}
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
