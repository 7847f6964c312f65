// libsurrogate_runtime.so: its code is the surrogate_runtime static library
// (the Surrogate class of surrogate_runtime.h and what it calls); this file
// only anchors the shared library target. public_api.map keeps every symbol
// but the public API local.
#include "runtime/surrogate_runtime.h"
