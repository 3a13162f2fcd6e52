//! The part of LiteRT's C API (version 2.1.4, `litert/c/*.h`) that SignBridge calls, resolved
//! from `libLiteRt.so` at run time. Only plain handles, two ABI-stable structs and status codes
//! cross the boundary; every call site is in `super`.

use std::ffi::{c_int, c_void};
use std::path::Path;

use libloading::Library;

/// `LiteRtStatus`: 0 is success.
pub type Status = c_int;
pub const STATUS_OK: Status = 0;

/// `LiteRtElementType::kLiteRtElementTypeFloat32`.
pub const ELEMENT_FLOAT32: c_int = 1;
/// `LiteRtHwAccelerators::kLiteRtHwAcceleratorCpu`.
pub const ACCELERATOR_CPU: c_int = 1;
/// `LiteRtTensorBufferType::kLiteRtTensorBufferTypeHostMemory`.
pub const BUFFER_HOST_MEMORY: c_int = 1;
/// `LiteRtTensorBufferLockMode`.
pub const LOCK_READ: c_int = 0;
pub const LOCK_WRITE: c_int = 1;

/// `LiteRtEnvOptionTag`s.
pub const ENV_AUTO_REGISTER_ACCELERATORS: c_int = 24;
pub const ENV_MIN_LOGGER_SEVERITY: c_int = 25;
/// `LiteRtLogSeverity::kLiteRtLogSeverityError`.
pub const LOG_ERROR: i64 = 3;

/// `LiteRtEnvOption` (24 bytes): a tag and a `LiteRtAny` holding an integer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EnvOption {
    pub tag: c_int,
    /// `LiteRtAny` (16 bytes, 8-aligned): its type (`kLiteRtAnyTypeInt` = 2) and its value.
    pub value: Any,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Any {
    pub any_type: c_int,
    pub int_value: i64,
}

impl EnvOption {
    pub fn int(tag: c_int, value: i64) -> Self {
        EnvOption {
            tag,
            value: Any {
                any_type: 2,
                int_value: value,
            },
        }
    }
}

/// `LITERT_TENSOR_MAX_RANK`.
pub const MAX_RANK: usize = 8;

/// `LiteRtLayout` (68 bytes): `unsigned rank : 7; bool has_strides : 1;` share the first word.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub rank_and_flags: u32,
    pub dimensions: [i32; MAX_RANK],
    pub strides: [u32; MAX_RANK],
}

impl Layout {
    pub fn dims(&self) -> &[i32] {
        let rank = (self.rank_and_flags & 0x7f) as usize;
        &self.dimensions[..rank.min(MAX_RANK)]
    }
}

/// `LiteRtRankedTensorType` (72 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RankedTensorType {
    pub element_type: c_int,
    pub layout: Layout,
}

impl RankedTensorType {
    pub fn zeroed() -> Self {
        RankedTensorType {
            element_type: 0,
            layout: Layout {
                rank_and_flags: 0,
                dimensions: [0; MAX_RANK],
                strides: [0; MAX_RANK],
            },
        }
    }
}

// Opaque handles (`LITERT_DEFINE_HANDLE`).
pub type Environment = *mut c_void;
pub type Model = *mut c_void;
pub type Signature = *mut c_void;
pub type Tensor = *mut c_void;
pub type Options = *mut c_void;
pub type CompiledModel = *mut c_void;
pub type TensorBuffer = *mut c_void;

/// Declares the function table: one field per C function, each resolved by its own name.
macro_rules! api {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        #[allow(non_snake_case)]
        pub struct Api {
            $(pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Api {
            /// Loads the library and resolves every function, failing on the first one missing.
            pub fn load(path: &Path) -> Result<Api, String> {
                // SAFETY: loading runs the library's initialisers. It is a pinned, checksummed
                // build of Google's LiteRT whose initialisers only register its own kernels.
                let library = unsafe { Library::new(path) }
                    .map_err(|e| format!("cannot load {}: {e}", path.display()))?;
                // Never unloaded: the library registers exit handlers (C++ static destructors)
                // that must still be mapped when the process exits, and the function pointers
                // below must stay valid for the life of the process.
                let library: &'static Library = Box::leak(Box::new(library));
                Ok(Api {
                    $($name: {
                        let symbol = concat!(stringify!($name), "\0").as_bytes();
                        // SAFETY: the signature is the C header's for this name (LiteRT 2.1.4,
                        // the version whose checksum was verified before loading).
                        let f = unsafe {
                            library.get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(symbol)
                        }
                        .map_err(|e| format!("{} lacks {}: {e}", path.display(), stringify!($name)))?;
                        *f
                    },)*
                })
            }
        }
    };
}

api! {
    LiteRtCreateEnvironment: fn(c_int, *const EnvOption, *mut Environment) -> Status;
    LiteRtDestroyEnvironment: fn(Environment);
    LiteRtCreateModelFromBuffer: fn(*const c_void, usize, *mut Model) -> Status;
    LiteRtDestroyModel: fn(Model);
    LiteRtGetModelSignature: fn(Model, usize, *mut Signature) -> Status;
    LiteRtGetNumSignatureInputs: fn(Signature, *mut usize) -> Status;
    LiteRtGetNumSignatureOutputs: fn(Signature, *mut usize) -> Status;
    LiteRtGetSignatureInputTensorByIndex: fn(Signature, usize, *mut Tensor) -> Status;
    LiteRtGetSignatureOutputTensorByIndex: fn(Signature, usize, *mut Tensor) -> Status;
    LiteRtGetRankedTensorType: fn(Tensor, *mut RankedTensorType) -> Status;
    LiteRtCreateOptions: fn(*mut Options) -> Status;
    LiteRtDestroyOptions: fn(Options);
    LiteRtSetOptionsHardwareAccelerators: fn(Options, c_int) -> Status;
    LiteRtCreateCompiledModel: fn(Environment, Model, Options, *mut CompiledModel) -> Status;
    LiteRtDestroyCompiledModel: fn(CompiledModel);
    LiteRtRunCompiledModel:
        fn(CompiledModel, usize, usize, *mut TensorBuffer, usize, *mut TensorBuffer) -> Status;
    LiteRtCreateManagedTensorBuffer:
        fn(Environment, c_int, *const RankedTensorType, usize, *mut TensorBuffer) -> Status;
    LiteRtLockTensorBuffer: fn(TensorBuffer, *mut *mut c_void, c_int) -> Status;
    LiteRtUnlockTensorBuffer: fn(TensorBuffer) -> Status;
    LiteRtDestroyTensorBuffer: fn(TensorBuffer);
}

/// The name of a `LiteRtStatus` (`litert_common.h`; the library exports no function for it).
pub fn status_name(status: Status) -> &'static str {
    match status {
        0 => "ok",
        1 => "invalid argument",
        2 => "memory allocation failure",
        3 => "runtime failure",
        4 => "missing input tensor",
        5 => "unsupported",
        6 => "not found",
        7 => "timeout expired",
        8 => "wrong version",
        10 => "already exists",
        100 => "cancelled",
        500 => "file I/O error",
        501 => "invalid flatbuffer",
        502 => "dynamic loading error",
        503 => "serialization error",
        504 => "compilation error",
        _ => "unknown error",
    }
}

impl Api {
    /// `Ok` for success, else the status's name and what was being done.
    pub fn check(&self, status: Status, doing: &str) -> Result<(), String> {
        if status == STATUS_OK {
            Ok(())
        } else {
            Err(format!(
                "{doing}: {} (status {status})",
                status_name(status)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_have_the_c_headers_sizes() {
        // The headers' static_asserts for 64-bit non-MSVC targets.
        assert_eq!(std::mem::size_of::<Layout>(), 68);
        assert_eq!(std::mem::offset_of!(Layout, dimensions), 4);
        assert_eq!(std::mem::offset_of!(Layout, strides), 36);
        assert_eq!(std::mem::size_of::<RankedTensorType>(), 72);
        assert_eq!(std::mem::offset_of!(RankedTensorType, layout), 4);
        assert_eq!(std::mem::size_of::<EnvOption>(), 24);
        assert_eq!(std::mem::offset_of!(EnvOption, value), 8);
        assert_eq!(std::mem::size_of::<Any>(), 16);
    }

    #[test]
    fn layout_rank_is_the_low_seven_bits() {
        let mut t = RankedTensorType::zeroed();
        t.layout.rank_and_flags = 0x80 | 3; // has_strides set, rank 3
        t.layout.dimensions[..3].copy_from_slice(&[1, 2016, 18]);
        assert_eq!(t.layout.dims(), &[1, 2016, 18]);
    }
}
