#!/usr/bin/env python3
"""Checks each crate's stated MSRV (`rust-version`) against what its dependencies need.

For every workspace crate, walks its normal and build dependencies (every feature on, as
`cargo metadata --all-features` resolves them) and fails when one of them declares a
`rust-version` newer than the crate's own. Clippy's `incompatible_msrv` lint (run by
scripts/test.sh with -D warnings) checks the crate's own code against the same number.
"""
import json
import subprocess
import sys


def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {package["id"]: package for package in metadata["packages"]}
    deps = {
        node["id"]: [
            dep["pkg"]
            for dep in node["deps"]
            if any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"])
        ]
        for node in metadata["resolve"]["nodes"]
    }
    failures = []
    for member in metadata["workspace_members"]:
        crate = packages[member]
        stated = crate.get("rust_version")
        if stated is None:
            failures.append(f"{crate['name']}: no rust-version stated")
            continue
        seen, stack, newest = set(), list(deps.get(member, [])), None
        while stack:
            dep = stack.pop()
            if dep in seen:
                continue
            seen.add(dep)
            stack.extend(deps.get(dep, []))
            needed = packages[dep].get("rust_version")
            if needed and version(needed) > version(stated):
                if newest is None or version(needed) > version(newest[1]):
                    newest = (packages[dep]["name"], needed)
        if newest:
            failures.append(
                f"{crate['name']} states rust-version {stated}, but its dependency "
                f"{newest[0]} needs {newest[1]}"
            )
        else:
            print(f"msrv ok: {crate['name']} {stated}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
