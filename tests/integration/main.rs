//! Cross-crate integration tests: one binary, one module per topic.

mod geodesy_camera;
mod localizer_e2e;
mod localizer_fixture;
