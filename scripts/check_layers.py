#!/usr/bin/env python3
"""Checks that product code includes only downward, in the layers ARCHITECTURE.md describes.

Every `#include "..."` of a product file (everything but tests/, fuzz/, bench/ and build trees)
is an edge between two folders. An edge is allowed only from a higher layer to a lower one, so
the folder graph is acyclic and no provider folder includes another (they share a layer); and a
provider's folder is included only by the registry, so nothing else knows a provider by name.

    check_layers.py [ROOT]            exit 1 and list every upward or sideways include
    check_layers.py --graph [ROOT]    print the folder graph (edge and include count)
    check_layers.py --self-test       prove the check fails on planted violations
"""
import collections
import os
import re
import sys
import tempfile

# Lower number = lower layer. providers/<name> folders are matched by the "providers/*" entry.
LAYERS = {
    "core": 0,
    "ssh": 1,
    "providers": 2,        # the family's interface: provider.hpp, action contract, plan printer
    "matrix": 2,
    "evidence": 2,
    "providers/*": 3,      # one folder per provider; none includes another
    "deploy": 3,           # pushes builds over SSH to the sites the matrix defines
    "providers/registry": 4,
    "executor": 5,
    "faults": 6,           # failover: providers, the matrix and the executor's gate
    "labctl": 7,           # main, cli/, lifecycle/: the top; nothing includes it
}
SKIPPED = {"tests", "fuzz", "bench", ".git", "node_modules"}
INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')


def folder(path):
    """The layer folder a repo-relative path belongs to."""
    parts = path.split("/")
    if parts[0] == "providers" and len(parts) > 2:
        return "providers/" + parts[1]
    return parts[0]


def layer(name):
    if name in LAYERS:
        return LAYERS[name]
    if name.startswith("providers/"):
        return LAYERS["providers/*"]
    return None


def edges(root):
    """(from_folder, to_folder, file, included) for every cross-folder include."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        top = rel.split("/")[0]
        if top in SKIPPED or top.startswith("build"):
            dirnames[:] = []
            continue
        for name in sorted(filenames):
            if not name.endswith((".cpp", ".hpp")):
                continue
            path = os.path.normpath(os.path.join(rel, name))
            with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as source:
                for line in source:
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    source_folder, target_folder = folder(path), folder(match.group(1))
                    if source_folder != target_folder:
                        found.append((source_folder, target_folder, path, match.group(1)))
    return found


def violations(root):
    bad = []
    for source, target, path, included in edges(root):
        low, high = layer(target), layer(source)
        if low is None or high is None:
            bad.append(f"{path}: includes {included}: folder not in the layer table "
                       f"(add it to LAYERS in scripts/check_layers.py and to ARCHITECTURE.md)")
        elif target.startswith("providers/") and target != "providers/registry" and \
                source != "providers/registry" and low < high:
            bad.append(f"{path}: includes {included} ({source} -> {target}): only the registry "
                       f"includes a provider's folder; ask the Provider interface instead")
        elif low >= high:
            why = "across providers" if source.startswith("providers/") and \
                target.startswith("providers/") and low == high else "upward"
            bad.append(f"{path}: includes {included} ({source} -> {target}, {why}); "
                       f"move the shared part down a layer or pass it in")
    return bad


def graph(root):
    counts = collections.Counter((s, t) for s, t, _, _ in edges(root))
    for (source, target), count in sorted(counts.items()):
        print(f"{source} -> {target} ({count})")


def self_test():
    cases = {
        "core/a.cpp": '#include "labctl/cli/app.hpp"\n',                  # upward
        "providers/aws/b.cpp": '#include "providers/local/host.hpp"\n',   # across providers
        "matrix/c.cpp": '#include "core/error.hpp"\n',                    # fine
        "executor/e.cpp": '#include "providers/aws/ec2_client.hpp"\n',   # a provider by name
        "providers/registry/f.cpp": '#include "providers/aws/x.hpp"\n',  # fine: the registry
        "tests/d.cpp": '#include "labctl/cli/app.hpp"\n',                 # not product code
    }
    with tempfile.TemporaryDirectory() as root:
        for path, text in cases.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as out:
                out.write(text)
        found = violations(root)
    expected = ["core/a.cpp", "executor/e.cpp", "providers/aws/b.cpp"]
    got = sorted(line.split(":")[0] for line in found)
    if got != expected:
        print(f"self-test: expected violations in {expected}, got {found}", file=sys.stderr)
        return 1
    print("self-test: upward, cross-provider and by-name provider includes are caught")
    return 0


def main(argv):
    if argv[:1] == ["--self-test"]:
        return self_test()
    if argv[:1] == ["--graph"]:
        graph(argv[1] if len(argv) > 1 else ".")
        return 0
    root = argv[0] if argv else "."
    bad = violations(root)
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print(f"layers: {len(bad)} include(s) break the layering (ARCHITECTURE.md \"Layers\")",
              file=sys.stderr)
        return 1
    print("layers: every product include goes down a layer")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
