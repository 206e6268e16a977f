//! The workspace hack: no code, only dependencies (see its `Cargo.toml`). Every
//! member of the workspace depends on it so that every build resolves the same
//! features for each third-party crate and reuses the same build of it.
