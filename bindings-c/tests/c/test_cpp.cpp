// The header compiles as C++17 and its functions link with C linkage.
#include "fastprom.h"

int main() {
    fastprom_registry *reg = nullptr;
    if (fastprom_registry_new(&reg) != FASTPROM_OK) return 1;
    fastprom_registry_free(reg);
    return 0;
}
