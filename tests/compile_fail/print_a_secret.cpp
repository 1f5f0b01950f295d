// Secrets are never printed.
#include <tessera/core/secret.hpp>
#include <iostream>
int main()
{
    std::cout << tessera::secret::from_text("hunter2");
}
