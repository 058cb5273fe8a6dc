"""Volumes as qcow2 files with QEMU's native LUKS encryption (the BlockDevices driver)."""
