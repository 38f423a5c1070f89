//! fastprom for C. Empty until the C binding issue fills it.
