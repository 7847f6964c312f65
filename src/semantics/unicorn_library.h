// Unicorn's C API, loaded from libunicorn.so.2 the first time an emulator is
// made. Linked normally, the library's ~46k relocations cost every process
// ~9 ms at start (an empty program: 0.7 -> 10.1 ms, hyperfine), a tenth of
// a 12,000-block `predict` that never emulates anything.
#pragma once

#include <unicorn/unicorn.h>

namespace surrogate::semantics {

struct UnicornLibrary {
  decltype(&::uc_open) open;
  decltype(&::uc_close) close;
  decltype(&::uc_strerror) strerror;
  decltype(&::uc_mem_map) mem_map;
  decltype(&::uc_mem_unmap) mem_unmap;
  decltype(&::uc_mem_read) mem_read;
  decltype(&::uc_mem_write) mem_write;
  decltype(&::uc_reg_read) reg_read;
  decltype(&::uc_reg_write) reg_write;
  decltype(&::uc_hook_add) hook_add;
  decltype(&::uc_emu_start) emu_start;
  decltype(&::uc_ctl) ctl;

  // Loaded once per process; throws std::runtime_error (one line, with the
  // loader's reason) if the library or one of its functions is missing.
  static const UnicornLibrary& get();
};

}  // namespace surrogate::semantics
