# Any version request is accepted: the shim reports the real version as Torch_VERSION.
set(PACKAGE_VERSION "0")
set(PACKAGE_VERSION_COMPATIBLE TRUE)
