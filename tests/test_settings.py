from pathlib import Path

from tracker.settings import Settings, settings_help

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    missing = [name for name, _default, _help in settings_help() if f"`{name}`" not in readme]
    assert missing == [], f"settings missing from README's settings table: {missing}"


def test_every_setting_has_help_text():
    assert all(help_text for _name, _default, help_text in settings_help())


def test_default_database_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    assert Settings().resolved_database_url() == f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().resolved_database_url() == "postgresql+psycopg://u@h/db"
