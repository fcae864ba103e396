"""requirements.lock pins every dependency setup.cfg names, at the version setup.cfg names."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            found[canonical(match[1])] = match[2]
    return found


def test_every_direct_dependency_is_locked_at_its_version():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    listed = (
        setup["options"]["install_requires"] + setup["options.extras_require"]["test"]
    ).splitlines()
    direct = pins(listed)
    assert len(direct) == len([line for line in listed if line.strip()]), "pin exactly"

    locked = pins((ROOT / "requirements.lock").read_text().splitlines())
    stale = {name: version for name, version in direct.items() if locked.get(name) != version}
    assert not stale, f"run `make lock`: requirements.lock disagrees on {stale}"
