"""Issue 8: clients that were told no region sign with `us-east-1`; nuage accepts it as an
alias of its region (NUAGE_S3_REGION_ALIASES), and tells clients that signed for another
region which one to use (`x-amz-bucket-region`, as S3 does)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.client import Config

from tests.compat.s3.conftest import REGION, S3Tenant, send, unique_bucket

pytestmark = pytest.mark.compat

AWS = str(Path(sys.executable).parent / "aws")


def test_aws_cli_with_no_region_configured(tenant_a: S3Tenant, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "BOTO_")) and k != "HOME"}
    env.update({"HOME": str(home), "AWS_ACCESS_KEY_ID": tenant_a.member.access,
                "AWS_SECRET_ACCESS_KEY": tenant_a.member.secret,
                "AWS_EC2_METADATA_DISABLED": "true"})
    assert "AWS_DEFAULT_REGION" not in env and "AWS_REGION" not in env

    def aws(*args: str) -> str:
        proc = subprocess.run([AWS, "--endpoint-url", tenant_a.url, *args], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, f"aws {' '.join(args)}: {proc.stderr}{proc.stdout}"
        return proc.stdout

    bucket = f"noregion-{uuid.uuid4().hex[:8]}"
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from a default aws-cli\n" * 1000)
    aws("s3", "mb", f"s3://{bucket}")
    aws("s3", "cp", str(source), f"s3://{bucket}/dir/hello.txt")
    assert "hello.txt" in aws("s3", "ls", f"s3://{bucket}/dir/")
    back = tmp_path / "back.txt"
    aws("s3", "cp", f"s3://{bucket}/dir/hello.txt", str(back))
    assert back.read_bytes() == source.read_bytes()
    aws("s3", "rm", f"s3://{bucket}/dir/hello.txt")
    aws("s3", "rb", f"s3://{bucket}")
    assert bucket not in aws("s3", "ls")


def test_boto3_default_region_and_a_wrong_region(tenant_a: S3Tenant) -> None:
    default = boto3.session.Session().client(
        "s3", endpoint_url=tenant_a.url, region_name="us-east-1",
        aws_access_key_id=tenant_a.member.access,
        aws_secret_access_key=tenant_a.member.secret,
        config=Config(s3={"addressing_style": "path"}))
    name = unique_bucket("useast")
    default.create_bucket(Bucket=name)
    default.put_object(Bucket=name, Key="k", Body=b"v")
    assert default.head_object(Bucket=name, Key="k")["ContentLength"] == 1
    head = default.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == REGION
    # Another region is refused, and told which region is right, in the header too (a
    # HEAD error has no body): boto3 follows it and retries, for HEAD as for the rest.
    eu = boto3.session.Session().client(
        "s3", endpoint_url=tenant_a.url, region_name="eu-west-3",
        aws_access_key_id=tenant_a.member.access,
        aws_secret_access_key=tenant_a.member.secret,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    assert eu.head_object(Bucket=name, Key="k")["ContentLength"] == 1
    assert [o["Key"] for o in eu.list_objects_v2(Bucket=name)["Contents"]] == ["k"]
    head = send(tenant_a, "HEAD", f"/{name}/k", region="eu-west-3")
    assert head.status_code == 400 and head.headers["x-amz-bucket-region"] == REGION
    get = send(tenant_a, "GET", f"/{name}/k", region="eu-west-3")
    assert get.status_code == 400 and get.headers["x-amz-bucket-region"] == REGION
    assert b"<Code>AuthorizationHeaderMalformed</Code>" in get.content
    assert f"<Region>{REGION}</Region>".encode() in get.content
    anonymous = httpx.head(f"{tenant_a.url}/{name}/k")
    assert anonymous.status_code == 403
    assert anonymous.headers.get("x-amz-bucket-region") == REGION


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "BOTO_", "RCLONE_")) and k != "HOME"}
    env["HOME"] = str(home)
    return env


def run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(args)}: {proc.stderr}{proc.stdout}"
    return proc.stdout


def test_rclone_and_s3cmd_with_no_region_configured(tenant_a: S3Tenant,
                                                    tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    source = tmp_path / "file.bin"
    source.write_bytes(os.urandom(70_000))
    rclone_conf = tmp_path / "rclone.conf"
    rclone_conf.write_text(
        "[nuage]\ntype = s3\nprovider = Other\n"
        f"endpoint = {tenant_a.url}\naccess_key_id = {tenant_a.member.access}\n"
        f"secret_access_key = {tenant_a.member.secret}\nforce_path_style = true\n")
    bucket = f"rclone-noregion-{uuid.uuid4().hex[:8]}"
    rclone = ["rclone", "--config", str(rclone_conf), "--retries", "1"]
    run([*rclone, "mkdir", f"nuage:{bucket}"], env)
    run([*rclone, "copyto", str(source), f"nuage:{bucket}/f"], env)
    run([*rclone, "copyto", f"nuage:{bucket}/f", str(tmp_path / "back1")], env)
    assert (tmp_path / "back1").read_bytes() == source.read_bytes()
    run([*rclone, "purge", f"nuage:{bucket}"], env)

    host = tenant_a.url.removeprefix("http://")
    s3cfg = tmp_path / "s3cfg"
    s3cfg.write_text(f"[default]\naccess_key = {tenant_a.member.access}\n"
                     f"secret_key = {tenant_a.member.secret}\nhost_base = {host}\n"
                     f"host_bucket = {host}\nuse_https = False\nsignature_v2 = False\n")
    bucket = f"s3cmd-noregion-{uuid.uuid4().hex[:8]}"
    s3cmd = ["s3cmd", "-c", str(s3cfg), "--no-progress"]
    run([*s3cmd, "mb", f"s3://{bucket}"], env)
    run([*s3cmd, "put", str(source), f"s3://{bucket}/f"], env)
    run([*s3cmd, "get", f"s3://{bucket}/f", str(tmp_path / "back2")], env)
    assert (tmp_path / "back2").read_bytes() == source.read_bytes()
    run([*s3cmd, "del", f"s3://{bucket}/f"], env)
    run([*s3cmd, "rb", f"s3://{bucket}"], env)
