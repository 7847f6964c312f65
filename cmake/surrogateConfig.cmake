# find_package(surrogate) -> the imported target surrogate::runtime
# (libsurrogate_runtime.so and <surrogate/surrogate_runtime.h>; C++20).
include(${CMAKE_CURRENT_LIST_DIR}/surrogateTargets.cmake)
