//! Present so that cargo reads the hack's build-dependencies: they give the crates
//! built for proc-macros and build scripts the same features as the others.

fn main() {}
