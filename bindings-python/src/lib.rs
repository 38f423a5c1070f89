//! fastprom for Python (PyO3). Empty until the Python binding issue fills it.
