"""Pins live in settings.ini; environment.yml and binder/ must carry exactly the same ones."""
from configparser import ConfigParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
cfg = ConfigParser(delimiters=['='])
cfg.read(ROOT / 'settings.ini')
RUNTIME = cfg['DEFAULT']['requirements'].split()
DEV = cfg['DEFAULT']['dev_requirements'].split()


def test_every_requirement_is_pinned():
    assert all('==' in r for r in RUNTIME + DEV)
    assert any(r.startswith('tensorflow-cpu==') for r in RUNTIME)
    assert not any(r.startswith('tensorflow==') for r in RUNTIME)


def test_environment_yml_matches_settings():
    env = yaml.safe_load((ROOT / 'environment.yml').read_text())
    pip = next(d['pip'] for d in env['dependencies'] if isinstance(d, dict))
    assert [p for p in pip if p != '-e .'] == RUNTIME + DEV
    assert f"python={cfg['DEFAULT']['min_python']}" in env['dependencies']


def test_binder_matches_settings():
    lines = [l for l in (ROOT / 'binder' / 'requirements.txt').read_text().splitlines() if l and not l.startswith('#')]
    assert lines == RUNTIME


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version
    for req in RUNTIME + DEV:
        name, pinned = req.split('==')
        assert version(name) == pinned, name
