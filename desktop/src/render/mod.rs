//! The CPU terrain renderer: a DEM mosaic becomes a chunked mesh in a local frame with
//! exact earth curvature; views are rasterised in parallel into z-depth (metres along the
//! optical axis), colour in a "render" or seeded "photo" style, and camera JSON.

mod error;
mod lod;
mod output;
mod photo;
mod place;
mod raster;
mod shade;
mod surface;
mod terrain;
mod view;

pub use error::RenderError;
pub use output::{
    RenderedView, Style, camera_json, colourise, npy_f32_bytes, render_view, write_npy_f32,
    write_view,
};
pub use place::{CameraHeight, PanoramaSpec, camera_position, panorama_cameras};
pub use surface::{Surface, SurfacePixel};
pub use terrain::{CHUNK_CELLS, TerrainModel};
pub use view::{MAX_PIXELS, RenderCamera, RenderOptions, RenderStats, render_surface};
