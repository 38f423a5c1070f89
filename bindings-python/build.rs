//! Exposes the target interpreter's version to the code as `Py_3_*` cfgs (pyo3's
//! build configuration), for the few calls whose C API differs between versions.

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
