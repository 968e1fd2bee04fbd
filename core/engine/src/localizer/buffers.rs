//! Buffers of query feature extraction kept between calls: the DoG detector's octave images
//! and the patch batch (4000 patches of 64 x 64 values per channel: 65 MB grey, 197 MB RGB)
//! are the largest allocations of a localization, and allocating them afresh costs page
//! faults on every call.
//!
//! A call leases one set from the pool and gives it back when the lease is dropped, also on
//! early returns; threads localizing at the same time get separate sets, so the
//! [`super::Localizer`] stays `Send + Sync` without holding a lock while it works.

use std::sync::Mutex;

use lsar_vision::keypoints::DogWorkspace;

/// Sets kept at most: more concurrent calls allocate their own and drop them afterwards.
const MAX_KEPT: usize = 2;

/// One call's reusable buffers.
#[derive(Debug, Default)]
pub(crate) struct QueryBuffers {
    /// The DoG detector's octave images.
    pub(crate) dog: DogWorkspace,
    /// The patch batch (values discarded between uses).
    pub(crate) patches: Vec<f32>,
}

/// The idle buffer sets of a localizer.
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    idle: Mutex<Vec<QueryBuffers>>,
}

impl BufferPool {
    /// An idle set, or a new empty one.
    pub(crate) fn lease(&self) -> Lease<'_> {
        let buffers = self.idle.lock().ok().and_then(|mut idle| idle.pop()).unwrap_or_default();
        Lease { pool: self, buffers: Some(buffers) }
    }

    /// Frees every idle set.
    pub(crate) fn clear(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    /// Number of idle sets.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.idle.lock().map(|i| i.len()).unwrap_or(0)
    }
}

/// A leased set, returned to its pool on drop.
pub(crate) struct Lease<'a> {
    pool: &'a BufferPool,
    buffers: Option<QueryBuffers>,
}

impl Lease<'_> {
    /// The buffers.
    pub(crate) fn get(&mut self) -> &mut QueryBuffers {
        self.buffers.get_or_insert_with(QueryBuffers::default)
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (Some(buffers), Ok(mut idle)) = (self.buffers.take(), self.pool.idle.lock())
            && idle.len() < MAX_KEPT
        {
            idle.push(buffers);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_come_back_up_to_the_limit() {
        let pool = BufferPool::default();
        {
            let _b = pool.lease();
            let _c = pool.lease();
            let mut a = pool.lease();
            a.get().patches.resize(1000, 0.0);
            assert_eq!(pool.idle(), 0);
        }
        assert_eq!(pool.idle(), MAX_KEPT);
        // The grown buffer is handed out again.
        let mut leases: Vec<Lease<'_>> = (0..MAX_KEPT).map(|_| pool.lease()).collect();
        assert!(leases.iter_mut().any(|l| l.get().patches.capacity() >= 1000));
        drop(leases);
        pool.clear();
        assert_eq!(pool.idle(), 0);
    }
}
