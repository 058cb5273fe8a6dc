"""The volume agent's backup work: one pass over the backups of this host with work
pending (`run_backups`, called by the reconciler once per pass).

- "creating": read the volume (or its snapshot) in place and back it up, incrementally
  on the parent's manifest when there is a parent; -> BackupDone(size, chunks written).
- "restoring": write the backup into the target volume; -> BackupDone.
- "deleting": delete the backup's blobs but those its parent still uses;
  -> BackupDone(deleted=True).
- any failure: -> Failed(reason), which the control plane turns into Cinder's `error`.

Every step is idempotent (see backup_engine): a pass that crashes half way leaves the
backup in its status, and the next pass does the step again, cleaning up after the
crashed attempt. Outcomes are recorded with compare-and-set on the status acted on, so a
delete asked meanwhile wins.

Why a delete protects only the parent's blobs: Cinder refuses to delete a backup that
incremental backups depend on, so when a backup is deleted no manifest but its
ancestors' can name its blobs, and every blob it borrowed from an ancestor is in its
parent's manifest (a child borrows only what its parent holds at the same index).
"""

from __future__ import annotations

import logging

from nuage.ports.blobs import BlobStore
from nuage.ports.block_devices import GIB, BlockDevices
from nuage.ports.volume_agent import BackupAssignment, BackupDone, Failed, HostVolumes
from nuage.services.volume.backup_engine import BackupEngine, BackupError, Manifest

log = logging.getLogger(__name__)


def run_backups(control: HostVolumes, devices: BlockDevices, blobs: BlobStore,
                engine: BackupEngine | None = None) -> None:
    """Do the pending work of every backup of this host, one after the other; one
    backup's failure is recorded and does not stop the others."""
    engine = engine or BackupEngine(blobs)
    for backup in control.backups():
        step = _STEPS.get(backup.status)
        if step is None:
            continue
        try:
            outcome: BackupDone | Failed = step(backup, devices, engine)
        except Exception as error:
            log.warning("backup %s: %s failed: %s", backup.id, backup.status, error)
            outcome = Failed(f"{backup.status}: {error}")
        if not control.record_backup(backup.id, backup.status, outcome):
            log.info("backup %s left %s meanwhile: outcome dropped", backup.id,
                     backup.status)


def _create(backup: BackupAssignment, devices: BlockDevices,
            engine: BackupEngine) -> BackupDone:
    parent: Manifest | None = None
    if backup.parent_id is not None:
        parent = engine.read_manifest(backup.parent_id, backup.backup_key)
        if parent is None:
            raise BackupError(f"parent backup {backup.parent_id} has no manifest")
    with devices.reader(backup.volume_id, backup.key, backup.snapshot_id,
                        shared=backup.attached) as reader:
        manifest = engine.backup(reader, backup.id, backup.backup_key, parent)
    return BackupDone(size_gb=_gigabytes(manifest.size), object_count=manifest.written)


def _restore(backup: BackupAssignment, devices: BlockDevices,
             engine: BackupEngine) -> BackupDone:
    if backup.restore_volume_id is None:
        raise BackupError("a restore names no target volume")
    manifest = engine.read_manifest(backup.id, backup.backup_key)
    if manifest is None:
        raise BackupError(f"backup {backup.id} has no manifest")
    with devices.writer(backup.restore_volume_id, backup.key) as writer:
        engine.restore(manifest, writer, backup.backup_key)
    return BackupDone(size_gb=_gigabytes(manifest.size), object_count=manifest.written)


def _delete(backup: BackupAssignment, devices: BlockDevices,
            engine: BackupEngine) -> BackupDone:
    still_referenced: set[str] = set()
    if backup.parent_id is not None:
        parent = engine.read_manifest(backup.parent_id, backup.backup_key)
        if parent is not None:
            still_referenced = parent.blob_ids()
    manifest = engine.read_manifest(backup.id, backup.backup_key)
    if manifest is None:
        # Never finished (or a delete that crashed after the manifest went): what it
        # wrote is found by its blobs' names.
        engine.delete_unfinished(backup.id, still_referenced)
    else:
        engine.delete(manifest, still_referenced)
    return BackupDone(deleted=True)


def _gigabytes(size: int) -> int:
    return -(-size // GIB)


_STEPS = {"creating": _create, "restoring": _restore, "deleting": _delete}
