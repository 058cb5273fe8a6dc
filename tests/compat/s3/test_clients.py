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
