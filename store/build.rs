//! refinery embeds `migrations/` at compile time but cargo does not know that;
//! tell it, so adding or changing a migration rebuilds the store.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
