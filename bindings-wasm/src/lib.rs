//! fastprom for WASM (wasm-bindgen). Empty until the WASM binding issue fills it.
