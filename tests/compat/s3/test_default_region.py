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
