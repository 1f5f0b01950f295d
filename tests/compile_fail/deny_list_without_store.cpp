// A deny list must be kept somewhere.
#include <tessera/authenticator.hpp>
using invalid = tessera::authenticator<tessera::stateless, tessera::jwt::hs256, tessera::deny_list>;
static_assert(sizeof(invalid) > 0);
