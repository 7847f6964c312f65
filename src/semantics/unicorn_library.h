// Unicorn's C API, loaded from libunicorn.so.2 the first time an emulator is
// made. Linked normally, the library's ~46k relocations cost every process
// ~9 ms at start (an empty program: 0.7 -> 10.1 ms, hyperfine), a tenth of
// a 12,000-block `predict` that never emulates anything.
#pragma once

#include <unicorn/unicorn.h>

namespace surrogate::semantics {

// The functions the emulator calls, each named once: uc_NAME.
// clang-format off
#define SURROGATE_UNICORN_FUNCTIONS(X)                                                  \
  X(open) X(close) X(strerror) X(mem_map) X(mem_map_ptr) X(mem_unmap) X(mem_read)      \
  X(mem_write) X(reg_read) X(reg_write) X(hook_add) X(emu_start) X(ctl)
// clang-format on

struct UnicornLibrary {
#define SURROGATE_UNICORN_MEMBER(name) decltype(&::uc_##name) name;
  SURROGATE_UNICORN_FUNCTIONS(SURROGATE_UNICORN_MEMBER)
#undef SURROGATE_UNICORN_MEMBER

  // Loaded once per process; throws std::runtime_error (one line, with the
  // loader's reason) if the library or one of its functions is missing.
  static const UnicornLibrary& get();
};

}  // namespace surrogate::semantics
