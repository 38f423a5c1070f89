//! The committed include/fastprom.h must be exactly what cbindgen generates from the
//! sources now. `FASTPROM_BLESS=1 cargo test -p fastprom-c --test header` rewrites it.

use std::path::Path;

#[test]
fn committed_header_is_cbindgen_output() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("../include/fastprom.h");
    if std::env::var_os("FASTPROM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("include/")).expect("mkdir include");
        std::fs::write(&path, &generated).expect("write the header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/fastprom.h differs from cbindgen's output; regenerate it with \
         `FASTPROM_BLESS=1 cargo test -p fastprom-c --test header` and commit it"
    );
}
