#include "semantics/unicorn_library.h"

#include <dlfcn.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace surrogate::semantics {
namespace {

// Debian 12's libunicorn2 (set by CMake from the library pkg-config finds).
#ifndef SURROGATE_UNICORN_SONAME
#define SURROGATE_UNICORN_SONAME "libunicorn.so.2"
#endif

std::string loader_error() {
  const char* why = ::dlerror();
  return why ? why : "unknown reason";
}

UnicornLibrary load() {
  void* handle = ::dlopen(SURROGATE_UNICORN_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw std::runtime_error("cannot load the Unicorn emulator (" SURROGATE_UNICORN_SONAME "): " + loader_error() +
                             " (Debian: apt install libunicorn2)");
  auto symbol = [&](auto& function, const char* name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(::dlsym(handle, name));
    if (!function) throw std::runtime_error(std::string("the Unicorn library has no ") + name + ": " + loader_error());
  };
  UnicornLibrary u{};
#define SURROGATE_UNICORN_LOAD(name) symbol(u.name, "uc_" #name);
  SURROGATE_UNICORN_FUNCTIONS(SURROGATE_UNICORN_LOAD)
#undef SURROGATE_UNICORN_LOAD
  return u;  // the handle stays open for the process's life
}

}  // namespace

const UnicornLibrary& UnicornLibrary::get() {
  static const UnicornLibrary library = load();
  return library;
}

}  // namespace surrogate::semantics
