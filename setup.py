"""Package layout and build step that pyproject.toml cannot express.

The three top-level folders become `siaga112.platform`, `siaga112.tenants`
and `siaga112.onboarding` (and `siaga112.migrations`). `platform/` has no
__init__.py on purpose (see DESIGN.md), so packages are found as namespace
packages. Message catalogues are compiled while building, so a wheel and an
editable install both carry the .mo files and nothing compiles at run time.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

ROOTS = {"platform": "siaga112.platform", "tenants": "siaga112.tenants",
         "onboarding": "siaga112.onboarding", "migrations": "siaga112.migrations"}
HERE = Path(__file__).parent
DATA_FOLDERS = {"templates", "static", "translations"}
PACKAGE_DATA = ["templates/**/*", "static/**/*", "translations/*/LC_MESSAGES/*"]


def mapped_packages():
    packages, package_dir = [], {}
    for folder, name in ROOTS.items():
        packages.append(name)
        package_dir[name] = folder
        for sub in find_namespace_packages(where=folder, exclude=["*__pycache__*"]):
            # Folders of templates, static files and catalogues are package data, at any depth (regions/templates/…).
            if (HERE / folder / sub.replace(".", "/")).is_dir() and not DATA_FOLDERS & set(sub.split(".")):
                packages.append(f"{name}.{sub}")
    return packages, package_dir


def compile_catalogues():
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (path for folder in ROOTS for path in (HERE / folder).glob("**/translations/*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)


class BuildWithCatalogues(build_py):
    def run(self):
        compile_catalogues()
        super().run()


packages, package_dir = mapped_packages()
setup(
    packages=packages,
    package_dir=package_dir,
    # Every package may carry templates/static/translations of its own (siaga112.platform.regions does).
    package_data={name: [*PACKAGE_DATA, "*.mako", "versions/*.py"] for name in packages},
    cmdclass={"build_py": BuildWithCatalogues},
)
