//! Integration tests of lsar-pack (one test binary).

// Helpers outside `#[test]` functions set up fixtures; a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod atomic;
mod corruption;
mod fuzz;
mod index;
mod roundtrip;
mod support;
