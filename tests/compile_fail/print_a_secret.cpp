// SPDX-License-Identifier: BSL-1.0
// Secrets are never printed.
#include <tessera/core/secret.hpp>
#include <iostream>
int main()
{
#ifndef TESSERA_TWIN
    std::cout << tessera::secret::from_text("hunter2");
#else
    std::cout << tessera::secret::from_text("hunter2").size();
#endif
}
