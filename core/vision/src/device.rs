//! The one place that picks the candle device.

use candle_core::Device;

/// The best available device: CUDA (feature `cuda`), then Metal (feature `metal`), else CPU.
///
/// Never fails: a backend that is compiled in but cannot start (no GPU, driver error) falls
/// back to the CPU, as mobile-and-ml.md asks for Metal on iOS.
pub fn select_device() -> Device {
    #[cfg(feature = "cuda")]
    {
        if let Ok(d) = Device::new_cuda(0) {
            return d;
        }
    }
    #[cfg(feature = "metal")]
    {
        if let Ok(d) = Device::new_metal(0) {
            return d;
        }
    }
    Device::Cpu
}
