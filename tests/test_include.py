"""`include:` keeps businesses in many files (an agency's one file per client), each error named
in the file and line it comes from."""

from __future__ import annotations

import yaml

from tests.conftest import business


def write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_businesses_from_included_files_are_checked_and_listed(workspace):
    workspace.write_config(include="businesses.d/*.yaml",
                           businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    write(workspace.folder / "businesses.d" / "b.yaml",
          [business("Bea's Bagels", sources=[{"type": "feed", "url": "http://127.0.0.1:9/b.xml"}])])
    write(workspace.folder / "businesses.d" / "a.yaml",
          {"businesses": [business("Al's Bakery", sources=[{"type": "feed", "url": "http://127.0.0.1:9/c.xml"}])]})
    checked = workspace.cli("check", "--format", "json")
    assert checked.returncode == 0, checked.stderr
    import json

    names = list(dict.fromkeys(s["business"] for s in json.loads(checked.stdout)["sources"]))
    assert names == ["Joe's Donuts", "Al's Bakery", "Bea's Bagels"]  # config.yaml's, then the files sorted


def test_an_error_in_an_included_file_names_that_file_and_line(workspace):
    workspace.write_config(include=["businesses.d/*.yaml"],
                           businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    included = workspace.folder / "businesses.d" / "bagels.yaml"
    included.parent.mkdir()
    included.write_text("- name: Bea's Bagels\n  keywords: [Bea's Bagels]\n  sources:\n"
                        "    - type: feed\n      url: http://127.0.0.1:9/b.xml\n      intervall: 5\n", encoding="utf-8")
    checked = workspace.cli("check")
    assert checked.returncode == 1
    assert checked.stderr == (f"Error: {included}: unknown key `[0].sources[0].intervall`; "
                              "did you mean `interval`? (line 6)\n")


def test_an_include_pattern_that_matches_nothing_is_one_clear_line(workspace):
    workspace.write_config(include="clients/*.yaml",
                           businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    checked = workspace.cli("check")
    assert checked.returncode == 1
    assert checked.stderr == f"Error: {workspace.config}: include: 'clients/*.yaml' matches no file in {workspace.folder}\n"
