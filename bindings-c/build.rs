//! Gives the shared library the SONAME it is installed under (`make install` puts it at
//! lib/libfastprom.so.<version>, with the libfastprom.so.<major> and libfastprom.so links),
//! so programs linked against it record that name and load a compatible build at run time.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        // Before 1.0 every 0.x release may change the ABI, so the minor goes in the name.
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
        let soname = if major == "0" { format!("libfastprom.so.0.{minor}") } else { format!("libfastprom.so.{major}") };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
