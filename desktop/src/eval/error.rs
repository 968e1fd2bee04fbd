//! The error type of `lsar eval`.

/// Errors of an evaluation run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A parameter or an input is unusable.
    #[error("invalid evaluation input: {what}")]
    Invalid {
        /// What is wrong.
        what: &'static str,
    },
    /// Procedural terrain with a seed that training may use.
    #[error("procedural seed {seed} may be in training data; evaluation uses seeds >= {first}")]
    TrainingSeed {
        /// The seed given.
        seed: u64,
        /// The first evaluation seed.
        first: u64,
    },
    /// The rejection rule refused every draw of a query.
    #[error("query {query}: {draws} draws in a row were rejected")]
    TooManyRejections {
        /// Query index.
        query: usize,
        /// Draws tried.
        draws: usize,
    },
    /// Building a pack failed.
    #[error("pack build: {source}")]
    PackBuild {
        /// The builder's error.
        #[from]
        source: crate::pack_build::PackBuildError,
    },
    /// Reading a pack failed.
    #[error("pack: {source}")]
    Pack {
        /// The reader's error.
        #[from]
        source: lsar_core::pack::PackError,
    },
    /// Rendering a query failed.
    #[error("render: {source}")]
    Render {
        /// The renderer's error.
        #[from]
        source: crate::render::RenderError,
    },
    /// The localizer refused an input.
    #[error("localizer: {source}")]
    Core {
        /// The localizer's error.
        #[from]
        source: lsar_core::CoreError,
    },
    /// A geometry conversion failed.
    #[error("geometry: {source}")]
    Geometry {
        /// The geometry error.
        #[from]
        source: lsar_core::geometry::GeometryError,
    },
    /// Reading or writing a file failed.
    #[error("I/O: {source}")]
    Io {
        /// The I/O error.
        #[from]
        source: std::io::Error,
    },
    /// Drawing the plot failed.
    #[error("plot: {reason}")]
    Plot {
        /// What failed.
        reason: String,
    },
}

/// Result of evaluation operations.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;
