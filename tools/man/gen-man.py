#!/usr/bin/env python3
"""Man pages of the ArgumentParser tools (seccomp-profile, seccomp-observe), from their
own definitions: what `TOOL --experimental-dump-help` says of every command, option and
help text, rendered by swift-argument-parser's generate-manual (mdoc) into OUT/TOOL.1.

Before rendering, the subcommands a tool hides from --help (seccomp-profile's
prepare-sandbox and add-calls, which seccomp-sandbox runs) are left out, as --help
leaves them out. After it, blank lines in help texts become paragraph breaks (.Pp;
mdoc warns of empty lines), and the footer names seccomp-forge and its VERSION.

usage: gen-man.py --generate-manual BIN --out DIR --date YYYY-MM-DD --version V TOOL...
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile


def visible(command):
    """The command with the subcommands it does not display removed, at every level."""
    command = dict(command)
    if "subcommands" in command:
        command["subcommands"] = [visible(c) for c in command["subcommands"] if c.get("shouldDisplay", True)]
    return command


def tidy(page, version):
    lines = []
    for line in page.splitlines():
        if line.strip() == "":
            if lines and lines[-1] != ".Pp":
                lines.append(".Pp")
        elif line == ".Os":
            lines.append(f".Os seccomp-forge {version}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Man pages of the ArgumentParser tools.")
    parser.add_argument("--generate-manual", required=True, help="swift-argument-parser's generate-manual")
    parser.add_argument("--out", required=True, help="directory for TOOL.1")
    parser.add_argument("--date", required=True, help="the pages' date (YYYY-MM-DD)")
    parser.add_argument("--version", required=True, help="the release, for the footer")
    parser.add_argument("tools", nargs="+", help="the built tools")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for tool in args.tools:
            name = os.path.basename(tool)
            dump = subprocess.run([tool, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout
            info = json.loads(dump)
            info["command"] = visible(info["command"])
            # generate-manual runs the tool it is given with --experimental-dump-help:
            # here a stand-in that prints the filtered description.
            described = os.path.join(scratch, name + ".json")
            with open(described, "w") as f:
                json.dump(info, f)
            stand_in = os.path.join(scratch, name)
            with open(stand_in, "w") as f:
                f.write(f"#!/bin/sh\nexec cat {shlex.quote(described)}\n")
            os.chmod(stand_in, 0o755)
            rendered = os.path.join(scratch, "out-" + name)
            os.makedirs(rendered)
            subprocess.run([args.generate_manual, stand_in, "--date", args.date, "--section", "1",
                            "--output-directory", rendered], check=True)
            with open(os.path.join(rendered, name + ".1")) as f:
                page = tidy(f.read(), args.version)
            with open(os.path.join(args.out, name + ".1"), "w") as f:
                f.write(page)
            print(f"{args.out}/{name}.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
