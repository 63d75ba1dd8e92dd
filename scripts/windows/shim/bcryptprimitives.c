/*
 * bcryptprimitives.dll for Wine releases that lack it (Debian 12 ships Wine 8.0; the DLL
 * arrived in Wine 8.13).
 *
 * Rust's standard library (1.78 and later) imports ProcessPrng from this DLL at load time,
 * so without it no Rust program starts under such a Wine. This stand-in exports that one
 * function and fills the buffer from RtlGenRandom (advapi32's SystemFunction036), which
 * every Wine has. scripts/windows/setup.sh builds it with mingw-w64 and copies it into the
 * Wine prefix only when Wine does not provide the DLL itself.
 */
#include <windows.h>

/* RtlGenRandom is exported by advapi32 under this name (declared in ntsecapi.h). */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE out, SIZE_T size)
{
    const SIZE_T max_chunk = 1u << 20;
    while (size > 0) {
        ULONG n = (ULONG)(size < max_chunk ? size : max_chunk);
        if (!SystemFunction036(out, n))
            return FALSE;
        out += n;
        size -= n;
    }
    return TRUE;
}
