"""The BlockDevices driver of a host's local disk: encrypted qcow2 files (driver.py),
run through qemu-img with the keys in pipes (qemu_img.py)."""

from nuage.drivers.qcow2_volumes.driver import Qcow2Volumes

__all__ = ["Qcow2Volumes"]
