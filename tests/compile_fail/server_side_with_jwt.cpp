// Deleting a record cannot revoke a self-contained JWT.
#include <tessera/authenticator.hpp>
using invalid = tessera::authenticator<tessera::memory_store, tessera::jwt::hs256, tessera::server_side>;
static_assert(sizeof(invalid) > 0);
