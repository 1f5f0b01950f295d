// There is no `none` algorithm to pin.
#include <tessera/jwt.hpp>
int main()
{
    tessera::jwt::verifier<tessera::jwt::none> verifier{};
}
