#!/usr/bin/env python3
"""Extracts the Butane examples of three documentation sets into this folder.

Usage: extract.py BUTANE_REPO FCOS_DOCS_REPO FLATCAR_WEBSITE_REPO
(git directories; each is read at HEAD with `git show`, nothing is written there).

- butane/: coreos/butane docs/*.md, every block marked `<!-- butane-config -->`
  (the blocks Butane's own `test` script checks with `--check --strict`).
- fcos/: coreos/fedora-coreos-docs modules/**/*.adoc, every
  `[source,yaml,subs="attributes"]` block that starts with `variant:` (the
  blocks its `ci/check.py` runs through Butane with `--strict`).
- flatcar/: flatcar/flatcar-website content/docs/latest/**/*.md, every
  fenced yaml block that starts with `variant: flatcar`.

Blocks are written byte for byte as `<path with / as __>__L<first line>.bu`.
"""
import os
import re
import subprocess
import sys


def git(repo, *args):
    return subprocess.run(['git', '--git-dir', repo, *args], check=True,
                          capture_output=True, text=True).stdout


def files(repo, prefix, suffix):
    names = git(repo, 'ls-tree', '-r', '--name-only', 'HEAD', prefix).split('\n')
    return sorted(n for n in names if n.endswith(suffix))


def write(folder, path, line, text):
    os.makedirs(folder, exist_ok=True)
    name = path.replace('/', '__') + f'__L{line}.bu'
    with open(os.path.join(folder, name), 'w', encoding='utf-8') as out:
        out.write(text)


def butane(repo, here):
    for path in files(repo, 'docs/', '.md'):
        lines = git(repo, 'show', f'HEAD:{path}').split('\n')
        for i, line in enumerate(lines):
            if line.startswith('<!-- butane-config -->'):
                start = i + 2
                end = start
                while not lines[end].startswith('```'):
                    end += 1
                write(os.path.join(here, 'butane'), path, start + 1,
                      '\n'.join(lines[start:end]) + '\n')


ADOC = re.compile(r'^\[source,yaml,subs="attributes"\]\n----\n(.+?\n)----$',
                  re.MULTILINE | re.DOTALL)


def fcos(repo, here):
    for path in files(repo, 'modules/', '.adoc'):
        text = git(repo, 'show', f'HEAD:{path}')
        for match in ADOC.finditer(text):
            block = match.group(1)
            if block.startswith('variant:'):
                line = text.count('\n', 0, match.start(1)) + 1
                write(os.path.join(here, 'fcos'), path, line, block)


FENCE = re.compile(r'^( *)```ya?ml[^\n]*\n(.*?)^ *```', re.MULTILINE | re.DOTALL)


def flatcar(repo, here):
    for path in files(repo, 'content/docs/latest/', '.md'):
        text = git(repo, 'show', f'HEAD:{path}')
        for match in FENCE.finditer(text):
            indent = len(match.group(1))
            block = '\n'.join(l[indent:] for l in match.group(2).split('\n'))
            if block.startswith('variant: flatcar'):
                line = text.count('\n', 0, match.start(2)) + 1
                write(os.path.join(here, 'flatcar'), path, line, block)


if __name__ == '__main__':
    here = os.path.dirname(os.path.abspath(__file__))
    butane(sys.argv[1], here)
    fcos(sys.argv[2], here)
    flatcar(sys.argv[3], here)
