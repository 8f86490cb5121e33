"""The annotator's ES modules under the production storage: hashed names, imports rewritten."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse

IMPORT = re.compile(r"""(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']\s*;""", re.S)
HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")


@pytest.fixture
def manifest_storage(settings, tmp_path):
    """collectstatic into a fresh folder with the storage production uses."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "annotations.staticfiles.ModuleManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path


def test_every_module_import_names_a_hashed_file_that_exists(manifest_storage):
    manifest = json.loads((manifest_storage / "staticfiles.json").read_text())["paths"]
    entry = manifest["annotations/annotator.js"]
    assert HASHED.search(entry)
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (manifest_storage / name).read_text()
        for target in IMPORT.findall(source):
            assert HASHED.search(target), f"{name} imports {target} by its plain name"
            resolved = (Path(name).parent / target).as_posix()
            resolved = str(Path("/" + resolved).resolve())[1:]
            assert (manifest_storage / resolved).is_file(), f"{name}: {target} is missing"
            todo.append(resolved)
    modules = {
        path
        for path in manifest
        if path.startswith("annotations/annotator/") and path.endswith(".js")
    }
    # Every module is reached from the entry, under its hashed name.
    assert {manifest[path] for path in modules} <= seen
    assert len(modules) >= 10


def test_the_page_loads_the_hashed_entry_module(manifest_storage, client, analyst, ru_article):
    client.force_login(analyst)
    html = client.get(reverse("article-detail", args=[ru_article.pk])).text
    src = static("annotations/annotator.js")
    assert HASHED.search(src)
    assert f'<script type="module" src="{src}"></script>' in html
