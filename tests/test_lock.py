"""The lock files agree with pyproject.toml, and the check says what to run when not."""

import importlib.util
from pathlib import Path

from django.conf import settings


def load_lock_script():
    path = Path(settings.BASE_DIR) / "scripts" / "lock.py"
    spec = importlib.util.spec_from_file_location("lock_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_locks_match_pyproject():
    assert load_lock_script().check() == 0


def test_a_new_dependency_without_make_lock_fails_the_check(tmp_path, monkeypatch, capsys):
    lock = load_lock_script()
    pyproject = tmp_path / "pyproject.toml"
    text = lock.PYPROJECT.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("dependencies = [", 'dependencies = [\n    "six",', 1))
    monkeypatch.setattr(lock, "PYPROJECT", pyproject)

    assert lock.check() == 1
    assert "run make lock" in capsys.readouterr().err


def test_the_lock_pins_every_package_with_hashes():
    lock = load_lock_script()
    for name in lock.LOCKS:
        text = (lock.ROOT / name).read_text(encoding="utf-8")
        pins = [line for line in text.splitlines() if "==" in line and not line.startswith("#")]
        assert pins, name
        assert all(pin.endswith("\\") for pin in pins), name  # each followed by --hash lines
        assert text.count("--hash=sha256:") >= len(pins)
