//! LiteRT backend: Google's runtime (XNNPACK on the CPU), the engine MediaPipe itself runs, loaded
//! from `libLiteRt.so` at run time. [`fetch`] gets and verifies the library; [`ffi`] declares
//! the C functions; this module wraps them in [`LiteRtModel`].
//!
//! A compiled model is not safe to run from two threads at once, so each model keeps a small
//! pool of compiled instances (each with its input and output buffers): a run takes one, or
//! compiles another when all are busy, and puts it back. The pool grows to the number of threads
//! that run the model at the same time (the server's workers) and no further.

pub mod fetch;
mod ffi;

use std::ffi::c_void;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Arc, Mutex};

use super::Model;
use crate::error::VisionError;

pub use fetch::LITERT_VERSION;

/// A model's flatbuffer as LiteRT reads it, in place.
enum ModelBytes {
    /// A read-only map of a file that was deleted as soon as it was mapped: its pages can be
    /// handed back to the kernel and are read from the file again if needed.
    Mapped(memmap2::Mmap),
    /// On the heap, where no file could be written (a read-only model cache and temp folder).
    Heap(Box<[u8]>),
}

impl ModelBytes {
    /// Maps `bytes` from a deleted file in the first of `dirs` that takes one, or keeps them.
    fn new(bytes: Vec<u8>, dirs: &[&Path]) -> ModelBytes {
        for dir in dirs {
            match Self::map_deleted_file(dir, &bytes) {
                Ok(map) => return ModelBytes::Mapped(map),
                Err(e) => tracing::debug!("cannot map the model from {}: {e}", dir.display()),
            }
        }
        ModelBytes::Heap(bytes.into_boxed_slice())
    }

    fn map_deleted_file(dir: &Path, bytes: &[u8]) -> std::io::Result<memmap2::Mmap> {
        let mut file = tempfile::tempfile_in(dir)?;
        file.write_all(bytes)?;
        // SAFETY: the file was created unlinked by us; nobody else can open or change it.
        unsafe { memmap2::Mmap::map(&file) }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            ModelBytes::Mapped(map) => map,
            ModelBytes::Heap(bytes) => bytes,
        }
    }

    /// Hands the map's resident pages back to the kernel (a no-op on the heap). Nothing is
    /// lost: the map is a read-only view of a file nobody changes, so a page read later is read
    /// from it again.
    fn release_pages(&self) {
        if let ModelBytes::Mapped(map) = self {
            // SAFETY: `DontNeed` on a read-only file map only drops pages, which the next
            // access reads from the unchanged file: no reference into the map sees other bytes.
            let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }
}

fn engine_err(e: String) -> VisionError {
    VisionError::Inference(e)
}

/// The loaded LiteRT library and one environment for every model. Load it once per process
/// ([`LiteRt::load`]) and share it.
pub struct LiteRt {
    api: ffi::Api,
    env: ffi::Environment,
    /// Where models are written to be mapped: the library's folder, the model cache (on disk,
    /// unlike a `/tmp` that may be memory).
    scratch: PathBuf,
}

// SAFETY: the environment is an immutable registry of accelerators once created; LiteRT
// documents it as shared by every compiled model of the process.
unsafe impl Send for LiteRt {}
unsafe impl Sync for LiteRt {}

impl LiteRt {
    /// Loads the library at `path` (which the caller has verified) and creates the environment.
    pub fn load(path: &Path) -> Result<Arc<LiteRt>, VisionError> {
        let api = ffi::Api::load(path).map_err(VisionError::Models)?;
        // The CPU only (no probing for GPU or NPU libraries), and errors only on stderr.
        let options = [
            ffi::EnvOption::int(
                ffi::ENV_AUTO_REGISTER_ACCELERATORS,
                i64::from(ffi::ACCELERATOR_CPU),
            ),
            ffi::EnvOption::int(ffi::ENV_MIN_LOGGER_SEVERITY, ffi::LOG_ERROR),
        ];
        let mut env = ptr::null_mut();
        // SAFETY: a valid array of options and its length, a valid out-pointer.
        let status = unsafe {
            (api.LiteRtCreateEnvironment)(options.len() as i32, options.as_ptr(), &mut env)
        };
        api.check(status, "creating the LiteRT environment")
            .map_err(VisionError::Models)?;
        let scratch = path
            .parent()
            .map_or_else(std::env::temp_dir, Path::to_path_buf);
        Ok(Arc::new(LiteRt { api, env, scratch }))
    }
}

impl Drop for LiteRt {
    fn drop(&mut self) {
        // SAFETY: created in `load`; every model holds an `Arc<LiteRt>`, so none is left.
        unsafe { (self.api.LiteRtDestroyEnvironment)(self.env) }
    }
}

/// One compiled copy of a model with its own input and output buffers.
struct Instance {
    runtime: Arc<LiteRt>,
    compiled: ffi::CompiledModel,
    input: ffi::TensorBuffer,
    outputs: Vec<ffi::TensorBuffer>,
    /// Not run yet: its first run still reads weights from the model (fp16 constants are
    /// widened then).
    fresh: bool,
}

// SAFETY: an instance is used by one thread at a time (it is taken out of the pool for a run).
unsafe impl Send for Instance {}

/// A `.tflite` model run by LiteRT on the CPU.
pub struct LiteRtModel {
    runtime: Arc<LiteRt>,
    /// LiteRT reads the flatbuffer in place, so it must outlive `model`.
    bytes: ModelBytes,
    model: ffi::Model,
    input_type: ffi::RankedTensorType,
    input_shape: [usize; 4],
    output_types: Vec<ffi::RankedTensorType>,
    idle: Mutex<Vec<Instance>>,
}

// SAFETY: the model handle is only read after loading (compiling instances from it); instances
// are handed to one thread at a time through the mutex.
unsafe impl Send for LiteRtModel {}
unsafe impl Sync for LiteRtModel {}

fn elements(t: &ffi::RankedTensorType) -> usize {
    t.layout
        .dims()
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .product()
}

impl LiteRtModel {
    /// Reads the model and compiles its first instance (which also proves the model runs here).
    ///
    /// The bytes are written to a file in the model cache (else the temp folder) that is deleted
    /// at once and read through a map ([`ModelBytes`]): after an instance is compiled, and again
    /// after its first run, the map's pages are handed back; any that LiteRT reads again come
    /// back from the file. The process so does not keep a copy of the weights beside XNNPACK's.
    pub fn from_tflite(runtime: Arc<LiteRt>, bytes: Vec<u8>) -> Result<Self, VisionError> {
        let bytes = ModelBytes::new(bytes, &[&runtime.scratch, &std::env::temp_dir()]);
        let slice = bytes.as_slice();
        let api = &runtime.api;
        let mut model = ptr::null_mut();
        // SAFETY: the bytes stay alive (and in place) as long as the model.
        let status = unsafe {
            (api.LiteRtCreateModelFromBuffer)(slice.as_ptr().cast(), slice.len(), &mut model)
        };
        api.check(status, "reading the model")
            .map_err(VisionError::ModelFormat)?;
        let mut this = LiteRtModel {
            runtime: Arc::clone(&runtime),
            bytes,
            model,
            input_type: ffi::RankedTensorType::zeroed(),
            input_shape: [0; 4],
            output_types: Vec::new(),
            idle: Mutex::new(Vec::new()),
        };
        this.read_signature().map_err(VisionError::ModelFormat)?;
        let first = this.compile().map_err(VisionError::ModelFormat)?;
        this.idle.get_mut().expect("not shared yet").push(first);
        Ok(this)
    }

    /// The input and output tensor types of the model's only signature.
    fn read_signature(&mut self) -> Result<(), String> {
        let api = &self.runtime.api;
        let mut signature = ptr::null_mut();
        let (mut inputs, mut outputs) = (0usize, 0usize);
        // SAFETY: valid handles and out-pointers throughout.
        unsafe {
            api.check(
                (api.LiteRtGetModelSignature)(self.model, 0, &mut signature),
                "reading the model's signature",
            )?;
            api.check(
                (api.LiteRtGetNumSignatureInputs)(signature, &mut inputs),
                "counting inputs",
            )?;
            api.check(
                (api.LiteRtGetNumSignatureOutputs)(signature, &mut outputs),
                "counting outputs",
            )?;
        }
        if inputs != 1 {
            return Err(format!("expected one input, the model has {inputs}"));
        }
        let tensor_type = |index: usize, input: bool| -> Result<ffi::RankedTensorType, String> {
            let mut tensor = ptr::null_mut();
            let mut t = ffi::RankedTensorType::zeroed();
            // SAFETY: index < count, valid out-pointers.
            unsafe {
                let get = if input {
                    api.LiteRtGetSignatureInputTensorByIndex
                } else {
                    api.LiteRtGetSignatureOutputTensorByIndex
                };
                api.check(get(signature, index, &mut tensor), "reading a tensor")?;
                api.check(
                    (api.LiteRtGetRankedTensorType)(tensor, &mut t),
                    "reading a tensor's type",
                )?;
            }
            if t.element_type != ffi::ELEMENT_FLOAT32 {
                return Err(format!(
                    "tensor {index} has element type {}, expected float32",
                    t.element_type
                ));
            }
            Ok(t)
        };
        self.input_type = tensor_type(0, true)?;
        let dims: Vec<usize> = self
            .input_type
            .layout
            .dims()
            .iter()
            .map(|&d| usize::try_from(d).unwrap_or(0))
            .collect();
        self.input_shape = dims
            .try_into()
            .map_err(|d| format!("expected a rank-4 input, got {d:?}"))?;
        self.output_types = (0..outputs)
            .map(|i| tensor_type(i, false))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// Compiles one more instance of the model, with XNNPACK on one thread (LiteRT's default):
    /// parallelism comes from running several instances, one per worker.
    fn compile(&self) -> Result<Instance, String> {
        let api = &self.runtime.api;
        let env = self.runtime.env;
        let mut options = ptr::null_mut();
        let mut compiled = ptr::null_mut();
        // SAFETY: valid handles and out-pointers; the options are the caller's to destroy.
        unsafe {
            api.check((api.LiteRtCreateOptions)(&mut options), "creating options")?;
            let status = match api.check(
                (api.LiteRtSetOptionsHardwareAccelerators)(options, ffi::ACCELERATOR_CPU),
                "choosing the CPU",
            ) {
                Ok(()) => (api.LiteRtCreateCompiledModel)(env, self.model, options, &mut compiled),
                Err(e) => {
                    (api.LiteRtDestroyOptions)(options);
                    return Err(e);
                }
            };
            (api.LiteRtDestroyOptions)(options);
            api.check(status, "compiling the model")?;
        }
        // Dropped (and so freed) if a buffer cannot be made.
        let mut instance = Instance {
            runtime: Arc::clone(&self.runtime),
            compiled,
            input: ptr::null_mut(),
            outputs: Vec::with_capacity(self.output_types.len()),
            fresh: true,
        };
        let buffer = |t: &ffi::RankedTensorType| -> Result<ffi::TensorBuffer, String> {
            let mut b = ptr::null_mut();
            let bytes = elements(t) * std::mem::size_of::<f32>();
            // SAFETY: valid environment, type and out-pointer.
            let status = unsafe {
                (api.LiteRtCreateManagedTensorBuffer)(
                    env,
                    ffi::BUFFER_HOST_MEMORY,
                    t,
                    bytes,
                    &mut b,
                )
            };
            api.check(status, "creating a tensor buffer")?;
            Ok(b)
        };
        instance.input = buffer(&self.input_type)?;
        for t in &self.output_types {
            instance.outputs.push(buffer(t)?);
        }
        self.bytes.release_pages();
        Ok(instance)
    }

    fn run_on(&self, instance: &mut Instance, input: &[f32]) -> Result<Vec<Vec<f32>>, String> {
        let api = &self.runtime.api;
        let expected = elements(&self.input_type);
        if input.len() != expected {
            return Err(format!(
                "input has {} values, the model takes {expected}",
                input.len()
            ));
        }
        // SAFETY: the buffers belong to this instance, which this thread holds alone; locked
        // host memory is valid for the buffer's size (the element count times 4) until unlocked.
        unsafe {
            let mut host: *mut c_void = ptr::null_mut();
            api.check(
                (api.LiteRtLockTensorBuffer)(instance.input, &mut host, ffi::LOCK_WRITE),
                "locking the input",
            )?;
            ptr::copy_nonoverlapping(input.as_ptr(), host.cast::<f32>(), expected);
            api.check(
                (api.LiteRtUnlockTensorBuffer)(instance.input),
                "unlocking the input",
            )?;
            let mut inputs = [instance.input];
            api.check(
                (api.LiteRtRunCompiledModel)(
                    instance.compiled,
                    0,
                    1,
                    inputs.as_mut_ptr(),
                    instance.outputs.len(),
                    instance.outputs.as_mut_ptr(),
                ),
                "running the model",
            )?;
            let mut results = Vec::with_capacity(instance.outputs.len());
            for (buffer, t) in instance.outputs.iter().zip(&self.output_types) {
                let n = elements(t);
                let mut host: *mut c_void = ptr::null_mut();
                api.check(
                    (api.LiteRtLockTensorBuffer)(*buffer, &mut host, ffi::LOCK_READ),
                    "locking an output",
                )?;
                results.push(std::slice::from_raw_parts(host.cast::<f32>(), n).to_vec());
                api.check(
                    (api.LiteRtUnlockTensorBuffer)(*buffer),
                    "unlocking an output",
                )?;
            }
            Ok(results)
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let api = &self.runtime.api;
        // SAFETY: each handle was created for this instance alone (nulls: never created).
        unsafe {
            for b in self.outputs.drain(..) {
                (api.LiteRtDestroyTensorBuffer)(b);
            }
            if !self.input.is_null() {
                (api.LiteRtDestroyTensorBuffer)(self.input);
            }
            (api.LiteRtDestroyCompiledModel)(self.compiled);
        }
    }
}

impl Model for LiteRtModel {
    fn input_shape(&self) -> [usize; 4] {
        self.input_shape
    }

    fn run(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut instance = match idle {
            Some(i) => i,
            None => self.compile().map_err(engine_err)?,
        };
        let result = self.run_on(&mut instance, input).map_err(engine_err);
        if std::mem::take(&mut instance.fresh) {
            self.bytes.release_pages();
        }
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(instance);
        result
    }
}

impl Drop for LiteRtModel {
    fn drop(&mut self) {
        // Every instance compiled from the model goes first (none is out: `&mut self`).
        self.idle
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        // SAFETY: created in `from_tflite`; no instance compiled from it is left.
        unsafe { (self.runtime.api.LiteRtDestroyModel)(self.model) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_bytes_are_mapped_where_a_file_can_be_written_and_survive_release() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let mapped = ModelBytes::new(bytes.clone(), &[dir.path()]);
        assert!(matches!(mapped, ModelBytes::Mapped(_)));
        // The file is gone from the folder; the map still holds it, also after a release.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        mapped.release_pages();
        assert_eq!(mapped.as_slice(), &bytes[..]);

        let missing = dir.path().join("no such folder");
        let kept = ModelBytes::new(bytes.clone(), &[&missing]);
        assert!(matches!(kept, ModelBytes::Heap(_)));
        kept.release_pages();
        assert_eq!(kept.as_slice(), &bytes[..]);
    }
}
