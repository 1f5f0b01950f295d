// SPDX-License-Identifier: BSL-1.0
// An event sink may not throw: a log that fails must never fail a login. (The twin's sink is noexcept.)
#include <tessera/authenticator.hpp>
#ifndef TESSERA_TWIN
struct sink {
    void operator()(const tessera::security_event&) const {}
};
#else
struct sink {
    void operator()(const tessera::security_event&) const noexcept {}
};
#endif
using subject = tessera::session_authenticator<tessera::memory_store, tessera::system_clock, sink>;
static_assert(sizeof(subject) > 0);
int main() {}
