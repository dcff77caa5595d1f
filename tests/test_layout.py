"""The repository layout promises of DESIGN.md."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_platform_from_repository_root_is_the_standard_library():
    probe = "import platform, sysconfig; print(platform.__file__); print(sysconfig.get_paths()['stdlib'])"
    # -c puts the current directory first on sys.path, as `python -m pytest` and `flask` do.
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    module_file, stdlib = result.stdout.split()
    assert Path(module_file).parent == Path(stdlib)
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_siaga112_packages_import_from_their_folders():
    import siaga112.onboarding
    import siaga112.platform.app
    import siaga112.tenants

    assert Path(siaga112.platform.app.__file__).resolve().parent.name == "platform"
    assert Path(siaga112.tenants.__file__).resolve().parent.name == "tenants"
    assert Path(siaga112.onboarding.__file__).resolve().parent.name == "onboarding"


def test_kernel_imports_no_context():
    """DESIGN.md: the kernel (platform/ minus app.py and cli.py) imports no context."""
    offenders = []
    for path in (ROOT / "platform").rglob("*.py"):
        if path.name in {"app.py", "cli.py"} and path.parent == ROOT / "platform":
            continue
        text = path.read_text()
        if "siaga112.tenants" in text or "siaga112.onboarding" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
