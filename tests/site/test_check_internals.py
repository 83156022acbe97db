"""scripts/check-internals: a library's private attribute, or an import loop in an app, fails CI."""

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check-internals"


@pytest.fixture(scope="module")
def checker():
    loader = importlib.machinery.SourceFileLoader("check_internals", str(SCRIPT))
    spec = importlib.util.spec_from_loader("check_internals", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def problems_in(checker, tmp_path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return checker.check([tmp_path / "apps"], root=tmp_path)


def test_writing_a_querysets_result_cache_is_flagged(checker, tmp_path):
    problems = problems_in(
        checker, tmp_path, {"apps/demo/services.py": "def f(qs):\n    qs._result_cache = []\n"}
    )

    assert problems == [
        f"{tmp_path}/apps/demo/services.py:2: _result_cache is not ours and not documented API"
    ]


def test_a_private_name_read_through_getattr_or_dict_is_flagged(checker, tmp_path):
    text = (
        "def f(request, user):\n"
        "    getattr(user, '_prefetched_objects_cache', None)\n"
        "    return request.__dict__.get('_cached_user')\n"
    )

    problems = problems_in(checker, tmp_path, {"apps/demo/views.py": text})

    assert [p.split(": ")[1] for p in problems] == [
        "_prefetched_objects_cache is not ours and not documented API",
        "_cached_user is not ours and not documented API",
    ]


def test_a_forbidden_name_is_flagged_even_when_assigned_on_self(checker, tmp_path):
    text = "class Store:\n    def __init__(self):\n        self._state = None\n"

    assert problems_in(checker, tmp_path, {"apps/demo/models.py": text})


def test_importing_djangos_related_populators_is_flagged(checker, tmp_path):
    text = "from django.db.models.query import get_related_populators\n"

    assert problems_in(checker, tmp_path, {"apps/demo/queries.py": text})


def test_meta_and_names_our_code_defines_pass(checker, tmp_path):
    text = (
        "class Throttle:\n"
        "    def __init__(self):\n"
        "        self._wait = 0.0\n"
        "    def _allows(self):\n"
        "        return self._wait\n"
        "def table(model):\n"
        "    return model._meta.db_table, Throttle()._allows()\n"
    )

    assert problems_in(checker, tmp_path, {"apps/demo/throttling.py": text}) == []


def test_an_import_loop_inside_an_app_is_flagged(checker, tmp_path):
    files = {
        "apps/demo/__init__.py": "",
        "apps/demo/handlers.py": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from apps.demo.patch import Draft\n",
        "apps/demo/patch.py": "from apps.demo import handlers\n",
    }

    assert problems_in(checker, tmp_path, files) == [
        "import loop in apps.demo: apps.demo.handlers <-> apps.demo.patch"
    ]


def test_imports_between_apps_are_no_loop_of_either(checker, tmp_path):
    files = {
        "apps/low/models.py": "import apps.high.views\n",
        "apps/high/views.py": "from apps.low import models\n",
    }

    assert problems_in(checker, tmp_path, files) == []


def test_this_project_passes(checker):
    root = SCRIPT.parents[1]

    assert checker.check([root / "apps", root / "commbox_site"]) == []
