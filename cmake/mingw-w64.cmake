# cmake/mingw-w64.cmake: cross-compile the agent for 64-bit Windows with
# Debian's mingw-w64 (gcc-mingw-w64-x86-64). Use with
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(UCT_MINGW_PREFIX x86_64-w64-mingw32)

# The win32 thread model (not posix): the program then needs no
# libwinpthread DLL, only what Windows itself ships.
find_program(CMAKE_C_COMPILER NAMES ${UCT_MINGW_PREFIX}-gcc-win32 ${UCT_MINGW_PREFIX}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${UCT_MINGW_PREFIX}-windres REQUIRED)
set(CMAKE_FIND_ROOT_PATH /usr/${UCT_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Tests of the Windows build run under Wine, from the Linux test suite.
set(CMAKE_CROSSCOMPILING_EMULATOR wine)
