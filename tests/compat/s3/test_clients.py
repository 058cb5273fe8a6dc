"""The new-user tour of issue 3: after `nuage up`, `openstack ec2 credentials create` gives
keys with which aws-cli, boto3, rclone and s3cmd each create a bucket, upload a 200 MiB file
(multipart for aws-cli, boto3, rclone and s3cmd alike), list it, download it byte-identical
and delete it and the bucket; then s3cmd and rclone sync a small directory tree both ways."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.compat.conftest import cli_json
from tests.support.live import LiveNuage

pytestmark = [pytest.mark.compat, pytest.mark.slow]

AWS = str(Path(sys.executable).parent / "aws")
BIG_SIZE = 200 * 1024 * 1024
BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Keys:
    access: str
    secret: str


@dataclass(frozen=True)
class BigFile:
    path: Path
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def bucket_name(client: str) -> str:
    return f"tour-{client}-{uuid.uuid4().hex[:8]}"


def clean_env() -> dict[str, str]:
    """Our environment without AWS_* settings: the clients must use only what the test gives
    them (an AWS_CA_BUNDLE, say, makes rclone's AWS SDK refuse a plain-HTTP endpoint)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    env = clean_env() if env is None else env
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}")
    return proc


@pytest.fixture(scope="module")
def keys(live_nuage: LiveNuage) -> Keys:
    """EC2 credentials made as a new user would: the real CLI, the admin's clouds.yaml."""
    made = cli_json(live_nuage.client_env(), "ec2", "credentials", "create")
    return Keys(made["access"], made["secret"])


@pytest.fixture(scope="session")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigFile]:
    path = tmp_path_factory.mktemp("big") / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as f:
        for _ in range(BIG_SIZE // BLOCK):
            block = os.urandom(BLOCK)
            digest.update(block)
            f.write(block)
    yield BigFile(path, digest.hexdigest())
    path.unlink(missing_ok=True)


@pytest.fixture
def s3(live_nuage: LiveNuage, keys: Keys) -> Any:
    return boto3.client("s3", endpoint_url=live_nuage.s3_url, aws_access_key_id=keys.access,
                        aws_secret_access_key=keys.secret, region_name="RegionOne",
                        config=Config(s3={"addressing_style": "path"}))


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] in ("404", "NoSuchBucket"), exc.response
        return False
    return True


# -- aws-cli -----------------------------------------------------------------------------


@pytest.fixture
def aws_env(live_nuage: LiveNuage, keys: Keys, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "aws-config"
    config.write_text("[default]\ns3 =\n    addressing_style = path\n")
    env = clean_env()
    env.update({
        "AWS_ACCESS_KEY_ID": keys.access, "AWS_SECRET_ACCESS_KEY": keys.secret,
        "AWS_DEFAULT_REGION": "RegionOne", "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def aws(live: LiveNuage, env: dict[str, str], *args: str) -> str:
    return run([AWS, "--endpoint-url", live.s3_url, *args], env).stdout


def test_aws_cli_tour(live_nuage: LiveNuage, aws_env: dict[str, str], big_file: BigFile,
                      tmp_path: Path, s3: Any) -> None:
    bucket = bucket_name("awscli")
    aws(live_nuage, aws_env, "s3", "mb", f"s3://{bucket}")
    assert bucket in aws(live_nuage, aws_env, "s3", "ls")
    # 200 MiB is far above aws-cli's 8 MiB multipart threshold: 25 parts, 10 at a time.
    aws(live_nuage, aws_env, "s3", "cp", str(big_file.path), f"s3://{bucket}/dir/big.bin")
    listing = aws(live_nuage, aws_env, "s3", "ls", "--recursive", f"s3://{bucket}")
    assert f"{BIG_SIZE} dir/big.bin" in listing
    head = aws(live_nuage, aws_env, "s3api", "head-object", "--bucket", bucket, "--key",
               "dir/big.bin")
    assert f'"ContentLength": {BIG_SIZE}' in head
    assert '-25\\""' in head  # the multipart ETag: md5 of the part md5s, dash, part count
    down = tmp_path / "down.bin"
    aws(live_nuage, aws_env, "s3", "cp", f"s3://{bucket}/dir/big.bin", str(down))
    assert sha256_of(down) == big_file.sha256
    down.unlink()
    aws(live_nuage, aws_env, "s3", "rm", f"s3://{bucket}/dir/big.bin")
    assert '"Key"' not in aws(live_nuage, aws_env, "s3api", "list-objects-v2", "--bucket", bucket)
    aws(live_nuage, aws_env, "s3", "rb", f"s3://{bucket}")
    assert not bucket_exists(s3, bucket)


# -- boto3 -------------------------------------------------------------------------------


def test_boto3_tour(s3: Any, big_file: BigFile, tmp_path: Path) -> None:
    client = s3
    bucket = bucket_name("boto3")
    client.create_bucket(Bucket=bucket)
    names = [b["Name"] for b in client.list_buckets()["Buckets"]]
    assert bucket in names
    transfer = TransferConfig(multipart_threshold=8 * 1024 * 1024,
                              multipart_chunksize=16 * 1024 * 1024, max_concurrency=4)
    client.upload_file(str(big_file.path), bucket, "big.bin",
                       Config=transfer)
    listed = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("big.bin", BIG_SIZE)]
    assert listed[0]["ETag"].endswith('-13"')
    down = tmp_path / "down.bin"
    client.download_file(bucket, "big.bin", str(down),
                         Config=transfer)
    assert sha256_of(down) == big_file.sha256
    down.unlink()
    client.delete_object(Bucket=bucket, Key="big.bin")
    assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    client.delete_bucket(Bucket=bucket)
    assert not bucket_exists(client, bucket)


# -- rclone ------------------------------------------------------------------------------


@pytest.fixture
def rclone_conf(live_nuage: LiveNuage, keys: Keys, tmp_path: Path) -> Path:
    conf = tmp_path / "rclone.conf"
    # rclone switches to multipart above upload_cutoff (200 MiB by default, which our file
    # only equals): a lower cutoff makes the tour exercise rclone's multipart path.
    conf.write_text(
        "[nuage]\n"
        "type = s3\n"
        "provider = Other\n"
        f"endpoint = {live_nuage.s3_url}\n"
        f"access_key_id = {keys.access}\n"
        f"secret_access_key = {keys.secret}\n"
        "region = RegionOne\n"
        "force_path_style = true\n"
        "upload_cutoff = 32M\n"
        "chunk_size = 16M\n")
    return conf


def rclone(conf: Path, *args: str) -> str:
    return run(["rclone", "--config", str(conf), "--retries", "1", "--low-level-retries", "1",
                *args]).stdout


def test_rclone_tour(rclone_conf: Path, big_file: BigFile, tmp_path: Path, s3: Any
                     ) -> None:
    bucket = bucket_name("rclone")
    rclone(rclone_conf, "mkdir", f"nuage:{bucket}")
    assert bucket in rclone(rclone_conf, "lsd", "nuage:")
    rclone(rclone_conf, "copyto", str(big_file.path), f"nuage:{bucket}/big.bin")
    assert rclone(rclone_conf, "ls", f"nuage:{bucket}").split() == [str(BIG_SIZE), "big.bin"]
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ETag"].endswith('-13"'), head["ETag"]  # 16 MiB parts: it was multipart
    down = tmp_path / "down.bin"
    rclone(rclone_conf, "copyto", f"nuage:{bucket}/big.bin", str(down))
    assert sha256_of(down) == big_file.sha256
    down.unlink()
    rclone(rclone_conf, "deletefile", f"nuage:{bucket}/big.bin")
    assert rclone(rclone_conf, "ls", f"nuage:{bucket}") == ""
    rclone(rclone_conf, "rmdir", f"nuage:{bucket}")
    assert not bucket_exists(s3, bucket)


# -- s3cmd -------------------------------------------------------------------------------


@pytest.fixture
def s3cfg(live_nuage: LiveNuage, keys: Keys, tmp_path: Path) -> Path:
    cfg = tmp_path / "s3cfg"
    host = f"127.0.0.1:{live_nuage.s3_port}"
    cfg.write_text(
        "[default]\n"
        f"access_key = {keys.access}\n"
        f"secret_key = {keys.secret}\n"
        f"host_base = {host}\n"
        f"host_bucket = {host}\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "bucket_location = RegionOne\n"
        "multipart_chunk_size_mb = 15\n")
    return cfg


def s3cmd(cfg: Path, *args: str) -> str:
    return run(["s3cmd", "-c", str(cfg), "--no-progress", *args]).stdout


def test_s3cmd_tour(s3cfg: Path, big_file: BigFile, tmp_path: Path, s3: Any) -> None:
    bucket = bucket_name("s3cmd")
    s3cmd(s3cfg, "mb", f"s3://{bucket}")
    assert f"s3://{bucket}" in s3cmd(s3cfg, "ls")
    s3cmd(s3cfg, "put", str(big_file.path), f"s3://{bucket}/big.bin")
    listing = s3cmd(s3cfg, "ls", f"s3://{bucket}")
    assert f"s3://{bucket}/big.bin" in listing and str(BIG_SIZE) in listing, listing
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ETag"].endswith('-14"'), head["ETag"]  # 15 MiB parts: it was multipart
    down = tmp_path / "down.bin"
    s3cmd(s3cfg, "get", f"s3://{bucket}/big.bin", str(down))
    assert sha256_of(down) == big_file.sha256
    down.unlink()
    s3cmd(s3cfg, "del", f"s3://{bucket}/big.bin")
    assert s3cmd(s3cfg, "ls", f"s3://{bucket}").strip() == ""
    s3cmd(s3cfg, "rb", f"s3://{bucket}")
    assert not bucket_exists(s3, bucket)


# -- sync of a directory tree ------------------------------------------------------------


def make_tree(root: Path) -> None:
    files = {
        "README.txt": b"a small tree\n",
        "docs/guide.md": b"# guide\n" * 100,
        "docs/img/logo.bin": os.urandom(70_000),
        "src/main.py": b"print('hello')\n",
        "src/pkg/__init__.py": b"",
        "src/pkg/mod.py": os.urandom(3000),
        "data/big.bin": os.urandom(3 * 1024 * 1024),
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def tree(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256); empty directories do not count."""
    return {str(p.relative_to(root)): sha256_of(p) for p in root.rglob("*") if p.is_file()}


def change_tree(root: Path) -> None:
    (root / "docs/guide.md").write_bytes(b"# guide, second edition\n" * 90)
    (root / "src/pkg/mod.py").unlink()
    (root / "src/new.py").write_bytes(b"new = True\n")


def remote_keys(s3: Any, bucket: str, prefix: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix)
    return {o["Key"].removeprefix(prefix) for page in pages for o in page.get("Contents", [])}


def empty_bucket(s3: Any, bucket: str) -> None:
    for key in remote_keys(s3, bucket, ""):
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)


def test_s3cmd_sync(s3cfg: Path, s3: Any, tmp_path: Path) -> None:
    local = tmp_path / "local"
    make_tree(local)
    bucket = bucket_name("s3cmd-sync")
    s3cmd(s3cfg, "mb", f"s3://{bucket}")
    try:
        s3cmd(s3cfg, "sync", f"{local}/", f"s3://{bucket}/tree/")
        assert remote_keys(s3, bucket, "tree/") == set(tree(local))
        change_tree(local)
        out = s3cmd(s3cfg, "sync", "--delete-removed", f"{local}/", f"s3://{bucket}/tree/")
        assert "README.txt" not in out  # unchanged files are not sent again
        assert remote_keys(s3, bucket, "tree/") == set(tree(local))
        back = tmp_path / "back"
        back.mkdir()
        s3cmd(s3cfg, "sync", f"s3://{bucket}/tree/", f"{back}/")
        assert tree(back) == tree(local)
    finally:
        empty_bucket(s3, bucket)


def test_rclone_sync(rclone_conf: Path, s3: Any, tmp_path: Path) -> None:
    local = tmp_path / "local"
    make_tree(local)
    bucket = bucket_name("rclone-sync")
    rclone(rclone_conf, "mkdir", f"nuage:{bucket}")
    try:
        rclone(rclone_conf, "sync", str(local), f"nuage:{bucket}/tree")
        assert remote_keys(s3, bucket, "tree/") == set(tree(local))
        rclone(rclone_conf, "check", str(local), f"nuage:{bucket}/tree")
        change_tree(local)
        rclone(rclone_conf, "sync", str(local), f"nuage:{bucket}/tree")
        assert remote_keys(s3, bucket, "tree/") == set(tree(local))
        rclone(rclone_conf, "check", str(local), f"nuage:{bucket}/tree")
        back = tmp_path / "back"
        rclone(rclone_conf, "sync", f"nuage:{bucket}/tree", str(back))
        assert tree(back) == tree(local)
        shutil.rmtree(back)
    finally:
        empty_bucket(s3, bucket)


# -- everyday commands beyond the tour ---------------------------------------------------


def test_aws_cli_everyday(live_nuage: LiveNuage, aws_env: dict[str, str], s3: Any,
                          tmp_path: Path) -> None:
    bucket = bucket_name("awscli-day")
    aws(live_nuage, aws_env, "s3", "mb", f"s3://{bucket}")
    try:
        # Streaming from stdin: size unknown in advance, so aws-cli goes multipart.
        data = os.urandom(20 * 1024 * 1024 + 17)
        proc = subprocess.run([AWS, "--endpoint-url", live_nuage.s3_url, "s3", "cp", "-",
                               f"s3://{bucket}/stdin.bin"], env=aws_env, input=data,
                              capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run([AWS, "--endpoint-url", live_nuage.s3_url, "s3", "cp",
                               f"s3://{bucket}/stdin.bin", "-"], env=aws_env,
                              capture_output=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout == data, proc.stderr
        # A presigned URL works for anyone holding it, and only for what it names.
        (tmp_path / "note.txt").write_bytes(b"shared by URL")
        aws(live_nuage, aws_env, "s3", "cp", str(tmp_path / "note.txt"), f"s3://{bucket}/note")
        url = aws(live_nuage, aws_env, "s3", "presign", f"s3://{bucket}/note",
                  "--expires-in", "300").strip()
        assert httpx.get(url, timeout=30).content == b"shared by URL"
        assert httpx.get(url.replace("/note?", "/stdin.bin?"), timeout=30).status_code == 403
        # Moves, recursive copies, SSE-C.
        aws(live_nuage, aws_env, "s3", "mv", f"s3://{bucket}/note", f"s3://{bucket}/a/note")
        aws(live_nuage, aws_env, "s3", "cp", "--recursive", f"s3://{bucket}/a",
            f"s3://{bucket}/b")
        assert remote_keys(s3, bucket, "") == {"stdin.bin", "a/note", "b/note"}
        sse = ["--sse-c", "AES256", "--sse-c-key", "0123456789abcdef0123456789abcdef"]
        aws(live_nuage, aws_env, "s3", "cp", str(tmp_path / "note.txt"), f"s3://{bucket}/c",
            *sse)
        aws(live_nuage, aws_env, "s3", "cp", f"s3://{bucket}/c", str(tmp_path / "c"), *sse)
        assert (tmp_path / "c").read_bytes() == b"shared by URL"
        with pytest.raises(AssertionError):  # without the key: refused
            aws(live_nuage, aws_env, "s3", "cp", f"s3://{bucket}/c", str(tmp_path / "c2"))
        location = aws(live_nuage, aws_env, "s3api", "get-bucket-location", "--bucket", bucket)
        assert "RegionOne" in location
        aws(live_nuage, aws_env, "s3", "rm", "--recursive", f"s3://{bucket}/b")
        assert remote_keys(s3, bucket, "") == {"stdin.bin", "a/note", "c"}
    finally:
        empty_bucket(s3, bucket)


def test_rclone_everyday(rclone_conf: Path, s3: Any) -> None:
    bucket = bucket_name("rclone-day")
    rclone(rclone_conf, "mkdir", f"nuage:{bucket}")
    try:
        # rcat streams stdin of unknown size: multipart above the cutoff.
        data = os.urandom(40 * 1024 * 1024 + 3)
        proc = subprocess.run(["rclone", "--config", str(rclone_conf), "rcat",
                               f"nuage:{bucket}/piped.bin"], input=data, env=clean_env(),
                              capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run(["rclone", "--config", str(rclone_conf), "cat",
                               f"nuage:{bucket}/piped.bin"], env=clean_env(),
                              capture_output=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout == data, proc.stderr
        rclone(rclone_conf, "touch", f"nuage:{bucket}/dir/empty")
        rclone(rclone_conf, "copy", f"nuage:{bucket}/dir", f"nuage:{bucket}/copy")  # server-side
        rclone(rclone_conf, "moveto", f"nuage:{bucket}/copy/empty", f"nuage:{bucket}/moved")
        assert remote_keys(s3, bucket, "") == {"piped.bin", "dir/empty", "moved"}
        sums = rclone(rclone_conf, "md5sum", f"nuage:{bucket}/dir")
        assert sums.split() == [hashlib.md5(b"").hexdigest(), "empty"]
        assert "Total objects: 3" in rclone(rclone_conf, "size", f"nuage:{bucket}")
        rclone(rclone_conf, "cleanup", f"nuage:{bucket}")  # aborts old multipart uploads
        rclone(rclone_conf, "purge", f"nuage:{bucket}")
        assert not bucket_exists(s3, bucket)
    finally:
        if bucket_exists(s3, bucket):
            empty_bucket(s3, bucket)


def test_s3cmd_everyday(s3cfg: Path, s3: Any, live_nuage: LiveNuage, tmp_path: Path) -> None:
    bucket = bucket_name("s3cmd-day")
    s3cmd(s3cfg, "mb", f"s3://{bucket}")
    try:
        note = tmp_path / "note.txt"
        note.write_bytes(b"public, then private")
        s3cmd(s3cfg, "put", "--acl-public", str(note), f"s3://{bucket}/public.txt")
        anonymous = f"{live_nuage.s3_url}/{bucket}/public.txt"
        assert httpx.get(anonymous, timeout=30).content == b"public, then private"
        s3cmd(s3cfg, "setacl", "--acl-private", f"s3://{bucket}/public.txt")
        assert httpx.get(anonymous, timeout=30).status_code == 403
        s3cmd(s3cfg, "cp", f"s3://{bucket}/public.txt", f"s3://{bucket}/copy.txt")
        s3cmd(s3cfg, "mv", f"s3://{bucket}/copy.txt", f"s3://{bucket}/moved.txt")
        s3cmd(s3cfg, "modify", "--add-header=Cache-Control:max-age=60",
              f"s3://{bucket}/moved.txt")
        head = s3.head_object(Bucket=bucket, Key="moved.txt")
        assert head["CacheControl"] == "max-age=60"
        info = s3cmd(s3cfg, "info", f"s3://{bucket}/moved.txt")
        assert "20" in info and hashlib.md5(b"public, then private").hexdigest() in info
        assert "RegionOne" in s3cmd(s3cfg, "info", f"s3://{bucket}")
        data = os.urandom(20 * 1024 * 1024)
        proc = subprocess.run(["s3cmd", "-c", str(s3cfg), "put", "-",
                               f"s3://{bucket}/stdin.bin"], input=data, env=clean_env(),
                              capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run(["s3cmd", "-c", str(s3cfg), "get", f"s3://{bucket}/stdin.bin",
                               "-"], env=clean_env(), capture_output=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout == data, proc.stderr
        assert str(20 * 1024 * 1024 + 2 * 20) in s3cmd(s3cfg, "du", f"s3://{bucket}")
        assert s3cmd(s3cfg, "multipart", f"s3://{bucket}").count("\n") <= 2  # none pending
        s3cmd(s3cfg, "del", "--recursive", "--force", f"s3://{bucket}")
        s3cmd(s3cfg, "rb", f"s3://{bucket}")
        assert not bucket_exists(s3, bucket)
    finally:
        if bucket_exists(s3, bucket):
            empty_bucket(s3, bucket)
