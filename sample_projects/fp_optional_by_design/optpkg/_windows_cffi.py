"""Windows API bindings; cffi is a dependency on Windows only."""

import cffi

ffi = cffi.FFI()
