// Algorithm confusion: an RSA public key cannot be handed to an HMAC verifier.
#include <tessera/jwt.hpp>
int main()
{
    auto key = tessera::jwt::public_key<tessera::jwt::rs256>::from_pem("").value();
    tessera::jwt::verifier<tessera::jwt::hs256> verifier{key};
}
