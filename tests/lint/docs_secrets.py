#!/usr/bin/python3
"""Checks that the documentation never puts a secret on a screen or into shell history; the
CTest test lint.docs_secrets.

Usage: docs_secrets.py FILE...   (Markdown, and man pages in roff)

In the shell commands of the files' code blocks:
  - no here-string (`<<<`): whatever follows it is saved in the shell's history;
  - a command that prints credentials (`docker-credential-acr get`, `docker-credential get`,
    or a CredentialProviderRequest piped into the plugin) filters them (`| jq`, `| sed`) or
    discards stdout (`>/dev/null`).
Prints one line per finding; exit 1 if any. Standard library only.
"""

import re
import sys
from pathlib import Path

PRINTS_CREDENTIALS = re.compile(r"docker-credential(-acr)? get(\s|$)|CredentialProviderRequest.*\|")
FILTERED = re.compile(r"\|\s*(jq|sed)\b|>\s*/dev/null")


def code_blocks(path):
    """(first line number, lines) of each code block: ``` fences, or roff .EX/.EE."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = None
    for number, line in enumerate(lines, 1):
        fence = line.strip().startswith("```")
        roff = line.startswith(".EX") or line.startswith(".EE")
        if (fence or roff) and start is None and not line.startswith(".EE"):
            start = number
        elif (fence or roff) and start is not None:
            yield start + 1, lines[start:number - 1]
            start = None


def commands(first, lines):
    """Logical commands: lines joined across a trailing '\\' (roff's '\\e') or '|'."""
    command, at = "", first
    for number, line in enumerate(lines, first):
        text = line.replace("\\e", "\\").replace("\\-", "-")
        if not command:
            at = number
        command += " " + text.rstrip("\\ ")
        if not (text.rstrip().endswith("\\") or text.rstrip().endswith("|")):
            yield at, command.strip()
            command = ""
    if command:
        yield at, command.strip()


def main(files):
    findings = []
    for name in files:
        path = Path(name)
        for first, lines in code_blocks(path):
            for number, command in commands(first, lines):
                if "<<<" in command:
                    findings.append(f"{path}:{number}: a here-string puts what follows it into "
                                    "the shell's history: read it from a prompt instead")
                if PRINTS_CREDENTIALS.search(command) and not FILTERED.search(command):
                    findings.append(f"{path}:{number}: this prints a live token: filter it "
                                    "(| jq ...) or discard stdout (>/dev/null)")
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
