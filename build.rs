//! Gives the shared library its SONAME, libmwauth.so.MAJOR, so that programs linked against it
//! keep working across compatible releases (and refuse an incompatible one), as with libcurl.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os.ends_with("bsd") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmwauth.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
