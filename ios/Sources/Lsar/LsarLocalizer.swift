// Swift wrapper over the UniFFI bindings of lsar-ffi (lsar_ffi.swift, generated beside this
// file): camera frames from CVPixelBuffer read in place, async/await with task cancellation,
// and Swift `Result` for callers that prefer it. Errors are `ApiError` cases.
import CoreVideo
import Foundation

public final class LsarLocalizer: @unchecked Sendable {
    // Localizer is thread-safe (Rust `Send + Sync`).
    private let inner: Localizer

    /// Opens region packs (file paths) with the model they were built with.
    public init(packPaths: [String], model: ModelSource = .sift) throws {
        inner = try Localizer.open(packPaths: packPaths, model: model)
    }

    /// Localizes a camera frame (`kCVPixelFormatType_32BGRA` or the 420YpCbCr8BiPlanar
    /// formats) without copying its pixels. Blocks: call off the main thread.
    public func localizeBlocking(
        _ pixelBuffer: CVPixelBuffer, rotation: Rotation, priors: Priors, cancel: CancelToken? = nil
    ) throws -> Localization {
        CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }
        let width = UInt32(CVPixelBufferGetWidth(pixelBuffer))
        let height = UInt32(CVPixelBufferGetHeight(pixelBuffer))
        switch CVPixelBufferGetPixelFormatType(pixelBuffer) {
        case kCVPixelFormatType_32BGRA:
            guard let base = CVPixelBufferGetBaseAddress(pixelBuffer) else { throw ApiError.InvalidInput(detail: "no pixels") }
            let stride = CVPixelBufferGetBytesPerRow(pixelBuffer)
            let bytes = Data(bytesNoCopy: base, count: stride * Int(height), deallocator: .none)
            let info = FrameInfo(width: width, height: height, format: .bgra, rotation: rotation,
                                 rowStride: UInt32(stride), uvRowStride: 0, uvPixelStride: 0)
            return try inner.localize(pixels: bytes, frame: info, priors: priors, cancel: cancel)
        case kCVPixelFormatType_420YpCbCr8BiPlanarFullRange, kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange:
            // NV12 with separate planes: pass luma and chroma as the three planes of the
            // planar path (U and V interleaved: pixel stride 2, V one byte after U).
            guard let y = CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, 0),
                  let uv = CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, 1) else {
                throw ApiError.InvalidInput(detail: "no pixel planes")
            }
            let yStride = CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, 0)
            let uvStride = CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, 1)
            let uvCount = uvStride * CVPixelBufferGetHeightOfPlane(pixelBuffer, 1)
            let yData = Data(bytesNoCopy: y, count: yStride * Int(height), deallocator: .none)
            let uData = Data(bytesNoCopy: uv, count: uvCount, deallocator: .none)
            let vData = Data(bytesNoCopy: uv.advanced(by: 1), count: uvCount - 1, deallocator: .none)
            let info = FrameInfo(width: width, height: height, format: .yuv420888, rotation: rotation,
                                 rowStride: UInt32(yStride), uvRowStride: UInt32(uvStride), uvPixelStride: 2)
            return try inner.localizeYuv(y: yData, u: uData, v: vData, frame: info, priors: priors, cancel: cancel)
        default:
            throw ApiError.InvalidInput(detail: "unsupported CVPixelBuffer format")
        }
    }

    /// Localizes on a background task; cancelling the task cancels the native call.
    public func localize(_ pixelBuffer: CVPixelBuffer, rotation: Rotation, priors: Priors) async throws -> Localization {
        let token = CancelToken()
        return try await withTaskCancellationHandler {
            try await Task.detached(priority: .userInitiated) {
                try self.localizeBlocking(pixelBuffer, rotation: rotation, priors: priors, cancel: token)
            }.value
        } onCancel: {
            token.cancel()
        }
    }

    /// As `localizeBlocking`, as a Swift `Result`.
    public func localizeResult(_ pixelBuffer: CVPixelBuffer, rotation: Rotation, priors: Priors) -> Result<Localization, ApiError> {
        do {
            return .success(try localizeBlocking(pixelBuffer, rotation: rotation, priors: priors))
        } catch let error as ApiError {
            return .failure(error)
        } catch {
            return .failure(.Internal(detail: "\(error)"))
        }
    }

    /// The visible, decluttered peak labels for a localization of this localizer.
    public func projectPois(_ localization: Localization,
                            options: OverlayOptions = OverlayOptions(maxDistanceM: nil, includeHidden: false, maxLabels: nil)) throws -> [Label] {
        try inner.projectPois(localization: localization, options: options)
    }
}
