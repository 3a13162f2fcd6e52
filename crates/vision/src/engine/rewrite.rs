//! Rewrites a MediaPipe `.tflite` flatbuffer into one that `tract-tflite` 0.23.9 loads and runs
//! correctly. Three things in these models trip it up (see docs/models.md):
//!
//! 1. `DEQUANTIZE` of fp16 constants is unsupported: we fold it, giving the output tensor an f32
//!    buffer with the converted values and dropping the op (and the fp16 buffer, read by no op).
//! 2. `PRELU` is unsupported: we expand it to `MAXIMUM(x, alpha * x)` when every slope is in
//!    [0, 1] (true of these models), else to `MAXIMUM(x, 0) + alpha * MINIMUM(x, 0)`.
//! 3. Float `MEAN` is translated with an integer-rounding scale (1/N rounds to 0 or 1): we expand
//!    it to `SUM` followed by a `MUL` with the exact f32 constant 1/N.
//!
//! Everything else is copied table by table through the schema tract itself ships
//! (`tract_tflite::tflite`). Options of operators we have not met are refused with a clear error
//! rather than copied wrongly.

use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};
use tract_tflite::tflite::{self as fb, BuiltinOperator, BuiltinOptions, TensorType};

use super::Precision;
use crate::error::VisionError;

/// A tensor in the rewritten graph, before serialisation.
struct TensorSpec {
    shape: Vec<i32>,
    type_: TensorType,
    buffer: u32,
    name: String,
    /// Symmetric int8 quantization, one scale per index of dimension 0 (zero points 0).
    scales: Option<Vec<f32>>,
}

/// A constant buffer appended to the model: the f32 widening of an fp16 source buffer (converted
/// only while it is written, so the rewrite never holds the widened weights twice), or small
/// bytes of our own.
enum NewBuffer {
    WidenedF16 { source: usize },
    Bytes(Vec<u8>),
}

fn f16_to_f32_bytes(data: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(data.len() * 2);
    for c in data.chunks_exact(2) {
        out.extend_from_slice(
            &half::f16::from_le_bytes([c[0], c[1]])
                .to_f32()
                .to_le_bytes(),
        );
    }
}

/// An operator in the rewritten graph: either one copied from the source (by index) or a new
/// elementwise / reduction op we emit ourselves.
enum OpSpec {
    Copy {
        source: usize,
        inputs: Vec<i32>,
        outputs: Vec<i32>,
    },
    New {
        code: BuiltinOperator,
        inputs: Vec<i32>,
        outputs: Vec<i32>,
        keep_dims: bool,
    },
}

fn bad(msg: impl Into<String>) -> VisionError {
    VisionError::ModelFormat(msg.into())
}

fn opcode_of(model: &fb::Model, op: &fb::Operator) -> Result<BuiltinOperator, VisionError> {
    let codes = model
        .operator_codes()
        .ok_or_else(|| bad("no operator codes"))?;
    let idx = op.opcode_index() as usize;
    if idx >= codes.len() {
        return Err(bad(format!("opcode index {idx} out of range")));
    }
    let code = codes.get(idx);
    let deprecated = code.deprecated_builtin_code() as i32;
    Ok(
        if deprecated == BuiltinOperator::PLACEHOLDER_FOR_GREATER_OP_CODES.0 {
            code.builtin_code()
        } else {
            BuiltinOperator(deprecated)
        },
    )
}

/// Rewrites `bytes` (a `.tflite` model) so that `tract-tflite` can run it. Pure function of its
/// input: the same model always gives the same bytes.
pub fn rewrite_for_tract(bytes: &[u8]) -> Result<Vec<u8>, VisionError> {
    rewrite(bytes, Target::Tract)
}

/// Rewrites `bytes` for LiteRT: only `PRELU` is expanded (as for tract, with the fp16 slopes it
/// reads widened to f32); every other op, `DEQUANTIZE` and `MEAN` included, is copied as it is.
/// The outputs are bit for bit the original's (each element is x or αx either way; tested in
/// `tests/engines.rs`). XNNPACK then holds about 24 MB less for the palm model (31 PReLUs, slopes
/// from -4.6 to 12.2, so the four-op form) at the price of about 5% more time on that model
/// (docs/models.md, "Speed and memory").
///
/// With [`Precision::Int8`], the weights of every `CONV_2D` with at least 64 × 64 input × output
/// channels also become int8, one scale per output channel (symmetric, the largest |w| maps to
/// 127), and its bias f32: XNNPACK then runs those
/// convolutions on int8, quantizing each activation on the fly ("dynamic range"). Depthwise
/// convolutions and everything else stay f32. The outputs are then close to, not equal to, the
/// original's (`tests/engines.rs` bounds the difference).
pub fn rewrite_for_litert(bytes: &[u8], precision: Precision) -> Result<Vec<u8>, VisionError> {
    rewrite(
        bytes,
        match precision {
            Precision::Exact => Target::LiteRt,
            Precision::Int8 => Target::LiteRtInt8,
        },
    )
}

/// Convolutions with fewer input × output channels than this stay f32 under [`Precision::Int8`]:
/// XNNPACK quantizes every input pixel's channels on the fly, which on thin layers (the palm
/// model's 32 → 32 on 96×96, the first 3-channel layers) costs more than int8 saves. On the palm
/// model, everything int8 was no faster than f32, and everything from 64 × 64 up about a fifth
/// faster (docs/models.md).
const INT8_MIN_CHANNEL_PRODUCT: i32 = 64 * 64;

/// Which engine a rewrite is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Everything tract-tflite 0.23.9 cannot run or runs wrongly.
    Tract,
    /// Only `PRELU`.
    LiteRt,
    /// `PRELU`, and int8 weights for `CONV_2D`.
    LiteRtInt8,
}

impl Target {
    fn is_litert(self) -> bool {
        matches!(self, Target::LiteRt | Target::LiteRtInt8)
    }
}

/// The f32 values of a constant tensor stored as f32 or fp16, if it is one.
fn constant_values(
    src_buffers: &Vector<'_, ForwardsUOffset<fb::Buffer<'_>>>,
    spec: &TensorSpec,
) -> Option<Vec<f32>> {
    let buffer = spec.buffer as usize;
    let data = (buffer < src_buffers.len())
        .then(|| src_buffers.get(buffer).data())
        .flatten()?
        .bytes();
    match spec.type_ {
        TensorType::FLOAT32 => Some(
            data.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        TensorType::FLOAT16 => Some(
            data.chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        ),
        _ => None,
    }
    .filter(|v: &Vec<f32>| !v.is_empty())
}

/// Symmetric per-channel int8 quantization of `values`, `channels` rows along dimension 0:
/// the bytes and one scale per channel (1 for an all-zero channel).
fn quantize_per_channel(values: &[f32], channels: usize) -> (Vec<u8>, Vec<f32>) {
    let per = values.len() / channels.max(1);
    let mut bytes = Vec::with_capacity(values.len());
    let mut scales = Vec::with_capacity(channels);
    for row in values.chunks(per.max(1)) {
        let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        scales.push(scale);
        bytes.extend(
            row.iter()
                .map(|v| ((v / scale).round().clamp(-127.0, 127.0) as i8) as u8),
        );
    }
    (bytes, scales)
}

fn rewrite(bytes: &[u8], target: Target) -> Result<Vec<u8>, VisionError> {
    let model =
        fb::root_as_model(bytes).map_err(|e| bad(format!("not a TFLite flatbuffer: {e}")))?;
    let subgraphs = model.subgraphs().ok_or_else(|| bad("no subgraphs"))?;
    if subgraphs.len() != 1 {
        return Err(bad(format!(
            "expected one subgraph, found {}",
            subgraphs.len()
        )));
    }
    let graph = subgraphs.get(0);
    let src_tensors = graph.tensors().ok_or_else(|| bad("no tensors"))?;
    let src_buffers = model.buffers().ok_or_else(|| bad("no buffers"))?;
    let src_ops = graph.operators().ok_or_else(|| bad("no operators"))?;

    let mut tensors: Vec<TensorSpec> = Vec::with_capacity(src_tensors.len());
    for t in src_tensors.iter() {
        if let Some(q) = t.quantization() {
            if q.scale().is_some_and(|s| !s.is_empty()) {
                return Err(bad(format!(
                    "quantized tensor {:?} is not supported",
                    t.name()
                )));
            }
        }
        tensors.push(TensorSpec {
            shape: t.shape().map(|s| s.iter().collect()).unwrap_or_default(),
            type_: t.type_(),
            buffer: t.buffer(),
            name: t.name().unwrap_or("").to_string(),
            scales: None,
        });
    }
    // Buffers: the source's, then new f32 constants appended after them.
    let mut new_buffers: Vec<NewBuffer> = Vec::new();
    let base_buffers = src_buffers.len() as u32;
    let add_buffer = |data: NewBuffer, new_buffers: &mut Vec<NewBuffer>| -> u32 {
        new_buffers.push(data);
        base_buffers + new_buffers.len() as u32 - 1
    };
    let add_tensor = |tensors: &mut Vec<TensorSpec>, spec: TensorSpec| -> i32 {
        tensors.push(spec);
        tensors.len() as i32 - 1
    };

    // The PReLU slopes: for LiteRT only the DEQUANTIZEs that make them are folded.
    let mut slopes = std::collections::HashSet::new();
    for op in src_ops.iter() {
        if opcode_of(&model, &op)? == BuiltinOperator::PRELU {
            if let Some(alpha) = op.inputs().and_then(|v| v.iter().nth(1)) {
                slopes.insert(alpha);
            }
        }
    }
    // Int8 convolutions: each CONV_2D's weights (made by a DEQUANTIZE of fp16 constants, or f32
    // constants) become an int8 constant, its DEQUANTIZE dropped; its fp16 bias is folded to f32
    // like the slopes. Only tensors read by that one op are changed.
    let mut int8_weights = std::collections::HashSet::new();
    if target == Target::LiteRtInt8 {
        let mut readers = vec![0u32; tensors.len()];
        let mut producer = vec![None; tensors.len()];
        for (i, op) in src_ops.iter().enumerate() {
            for t in op.inputs().into_iter().flatten() {
                if let Some(r) = usize::try_from(t).ok().and_then(|t| readers.get_mut(t)) {
                    *r += 1;
                }
            }
            for t in op.outputs().into_iter().flatten() {
                if let Some(p) = usize::try_from(t).ok().and_then(|t| producer.get_mut(t)) {
                    *p = Some(i);
                }
            }
        }
        let read_once = |t: i32| usize::try_from(t).is_ok_and(|t| readers.get(t) == Some(&1));
        // A constant: an f32 buffer, or an fp16 one widened by a DEQUANTIZE. Whether it comes
        // through that DEQUANTIZE, or None when `t` is not a constant at all.
        let has_data = |t: usize, type_: TensorType| {
            let buffer = tensors[t].buffer as usize;
            tensors[t].type_ == type_
                && buffer < src_buffers.len()
                && src_buffers
                    .get(buffer)
                    .data()
                    .is_some_and(|d| !d.is_empty())
        };
        let constant = |t: i32| -> Option<bool> {
            let t = usize::try_from(t).ok().filter(|&t| t < tensors.len())?;
            if has_data(t, TensorType::FLOAT32) {
                return Some(false);
            }
            let op = src_ops.get(producer[t]?);
            let widened = opcode_of(&model, &op).ok() == Some(BuiltinOperator::DEQUANTIZE)
                && op
                    .inputs()
                    .and_then(|v| v.iter().next())
                    .and_then(|i| usize::try_from(i).ok())
                    .is_some_and(|i| i < tensors.len() && has_data(i, TensorType::FLOAT16));
            widened.then_some(true)
        };
        for op in src_ops.iter() {
            if opcode_of(&model, &op)? != BuiltinOperator::CONV_2D {
                continue;
            }
            let inputs: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
            let (Some(&weights), Some(&bias)) = (inputs.get(1), inputs.get(2)) else {
                continue;
            };
            // Only constant weights and biases, each read by this op alone, are changed.
            let bias_widened = match bias {
                -1 => Some(false),
                b if read_once(b) => constant(b),
                _ => None,
            };
            let (Some(bias_widened), Some(_)) = (bias_widened, constant(weights)) else {
                continue;
            };
            let shape = &tensors[weights as usize].shape;
            let per_pixel = shape.first().zip(shape.last()).map_or(0, |(&o, &i)| o * i);
            if !read_once(weights) || per_pixel < INT8_MIN_CHANNEL_PRODUCT {
                continue;
            }
            int8_weights.insert(weights);
            if bias_widened {
                slopes.insert(bias);
            }
        }
    }
    let mut ops: Vec<OpSpec> = Vec::with_capacity(src_ops.len());
    for (i, op) in src_ops.iter().enumerate() {
        let code = opcode_of(&model, &op)?;
        let inputs: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op.outputs().map(|v| v.iter().collect()).unwrap_or_default();
        let tensor = |ix: i32| -> Result<usize, VisionError> {
            usize::try_from(ix)
                .ok()
                .filter(|&u| u < tensors.len())
                .ok_or_else(|| bad(format!("op {i}: tensor index {ix} out of range")))
        };
        if code == BuiltinOperator::DEQUANTIZE
            && outputs.first().is_some_and(|o| int8_weights.contains(o))
        {
            // The weights are written as int8 below; the fp16 constant is no longer read.
            let (&src, &dst) = inputs
                .first()
                .zip(outputs.first())
                .ok_or_else(|| bad("DEQUANTIZE arity"))?;
            let (src, dst) = (tensor(src)?, tensor(dst)?);
            tensors[dst].buffer = tensors[src].buffer;
            tensors[dst].type_ = tensors[src].type_;
            continue;
        }
        let copy = target.is_litert()
            && match code {
                BuiltinOperator::PRELU => false,
                BuiltinOperator::DEQUANTIZE => !outputs.first().is_some_and(|o| slopes.contains(o)),
                _ => true,
            };
        if copy {
            ops.push(OpSpec::Copy {
                source: i,
                inputs,
                outputs,
            });
            continue;
        }
        match code {
            BuiltinOperator::DEQUANTIZE => {
                let (&src, &dst) = inputs
                    .first()
                    .zip(outputs.first())
                    .ok_or_else(|| bad("DEQUANTIZE arity"))?;
                let (src, dst) = (tensor(src)?, tensor(dst)?);
                if tensors[src].type_ != TensorType::FLOAT16 {
                    return Err(bad(format!(
                        "DEQUANTIZE of {:?} is not supported",
                        tensors[src].type_
                    )));
                }
                let buf = tensors[src].buffer as usize;
                (buf < src_buffers.len())
                    .then(|| src_buffers.get(buf).data())
                    .flatten()
                    .ok_or_else(|| bad("DEQUANTIZE of a non-constant tensor"))?;
                tensors[dst].buffer =
                    add_buffer(NewBuffer::WidenedF16 { source: buf }, &mut new_buffers);
                tensors[dst].type_ = TensorType::FLOAT32;
            }
            BuiltinOperator::PRELU => {
                let [x, alpha] = inputs[..] else {
                    return Err(bad("PRELU arity"));
                };
                let out = *outputs.first().ok_or_else(|| bad("PRELU arity"))?;
                let shape = tensors[tensor(out)?].shape.clone();
                let name = tensors[tensor(out)?].name.clone();
                // With every slope in [0, 1], PRELU(x) = max(x, alpha * x): two ops instead of four.
                let alpha_buf = tensors[tensor(alpha)?].buffer;
                let mut widened = Vec::new();
                let alpha_bytes: Option<&[u8]> = if alpha_buf >= base_buffers {
                    match new_buffers.get((alpha_buf - base_buffers) as usize) {
                        Some(NewBuffer::WidenedF16 { source }) => {
                            let data = src_buffers
                                .get(*source)
                                .data()
                                .map_or(&[][..], |d| d.bytes());
                            f16_to_f32_bytes(data, &mut widened);
                            Some(&widened)
                        }
                        Some(NewBuffer::Bytes(b)) => Some(b),
                        None => None,
                    }
                } else if (alpha_buf as usize) < src_buffers.len()
                    && tensors[tensor(alpha)?].type_ == TensorType::FLOAT32
                {
                    src_buffers
                        .get(alpha_buf as usize)
                        .data()
                        .map(|d| d.bytes())
                } else {
                    None
                };
                let unit_slopes = alpha_bytes.is_some_and(|b| {
                    !b.is_empty()
                        && b.chunks_exact(4)
                            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                            .all(|a| (0.0..=1.0).contains(&a))
                });
                if unit_slopes {
                    let scaled = add_tensor(
                        &mut tensors,
                        TensorSpec {
                            shape,
                            type_: TensorType::FLOAT32,
                            buffer: 0,
                            name: format!("{name}.scaled"),
                            scales: None,
                        },
                    );
                    let new = |code, inputs: Vec<i32>, out: i32| OpSpec::New {
                        code,
                        inputs,
                        outputs: vec![out],
                        keep_dims: false,
                    };
                    ops.push(new(BuiltinOperator::MUL, vec![x, alpha], scaled));
                    ops.push(new(BuiltinOperator::MAXIMUM, vec![x, scaled], out));
                    continue;
                }
                let zero = add_buffer(
                    NewBuffer::Bytes(0f32.to_le_bytes().to_vec()),
                    &mut new_buffers,
                );
                let zero = add_tensor(
                    &mut tensors,
                    TensorSpec {
                        shape: vec![],
                        type_: TensorType::FLOAT32,
                        buffer: zero,
                        name: format!("{name}.zero"),
                        scales: None,
                    },
                );
                let tmp = |suffix: &str, tensors: &mut Vec<TensorSpec>| {
                    add_tensor(
                        tensors,
                        TensorSpec {
                            shape: shape.clone(),
                            type_: TensorType::FLOAT32,
                            buffer: 0,
                            name: format!("{name}.{suffix}"),
                            scales: None,
                        },
                    )
                };
                let pos = tmp("pos", &mut tensors);
                let neg = tmp("neg", &mut tensors);
                let scaled = tmp("neg_scaled", &mut tensors);
                let new = |code, inputs: Vec<i32>, out: i32| OpSpec::New {
                    code,
                    inputs,
                    outputs: vec![out],
                    keep_dims: false,
                };
                ops.push(new(BuiltinOperator::MAXIMUM, vec![x, zero], pos));
                ops.push(new(BuiltinOperator::MINIMUM, vec![x, zero], neg));
                ops.push(new(BuiltinOperator::MUL, vec![neg, alpha], scaled));
                ops.push(new(BuiltinOperator::ADD, vec![pos, scaled], out));
            }
            BuiltinOperator::MEAN => {
                let [x, axes] = inputs[..] else {
                    return Err(bad("MEAN arity"));
                };
                let out = *outputs.first().ok_or_else(|| bad("MEAN arity"))?;
                let keep_dims = op
                    .builtin_options_as_reducer_options()
                    .is_some_and(|o| o.keep_dims());
                let axes_buf = tensors[tensor(axes)?].buffer as usize;
                let axes_data = (axes_buf < src_buffers.len())
                    .then(|| src_buffers.get(axes_buf).data())
                    .flatten()
                    .ok_or_else(|| bad("MEAN with non-constant axes"))?;
                let in_shape = &tensors[tensor(x)?].shape;
                let mut count: i64 = 1;
                for c in axes_data.bytes().chunks_exact(4) {
                    let mut axis = i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64;
                    if axis < 0 {
                        axis += in_shape.len() as i64;
                    }
                    let dim = in_shape
                        .get(axis as usize)
                        .ok_or_else(|| bad("MEAN axis out of range"))?;
                    count *= *dim as i64;
                }
                let shape = tensors[tensor(out)?].shape.clone();
                let name = tensors[tensor(out)?].name.clone();
                let sum = add_tensor(
                    &mut tensors,
                    TensorSpec {
                        shape,
                        type_: TensorType::FLOAT32,
                        buffer: 0,
                        name: format!("{name}.sum"),
                        scales: None,
                    },
                );
                let scale = add_buffer(
                    NewBuffer::Bytes((1.0f32 / count as f32).to_le_bytes().to_vec()),
                    &mut new_buffers,
                );
                let scale = add_tensor(
                    &mut tensors,
                    TensorSpec {
                        shape: vec![],
                        type_: TensorType::FLOAT32,
                        buffer: scale,
                        name: format!("{name}.inv_count"),
                        scales: None,
                    },
                );
                ops.push(OpSpec::New {
                    code: BuiltinOperator::SUM,
                    inputs: vec![x, axes],
                    outputs: vec![sum],
                    keep_dims,
                });
                ops.push(OpSpec::New {
                    code: BuiltinOperator::MUL,
                    inputs: vec![sum, scale],
                    outputs: vec![out],
                    keep_dims: false,
                });
            }
            _ => ops.push(OpSpec::Copy {
                source: i,
                inputs,
                outputs,
            }),
        }
    }

    // Now that every DEQUANTIZE is resolved, the int8 weights themselves.
    for &w in &int8_weights {
        let spec = &tensors[w as usize];
        let channels = spec.shape.first().map_or(0, |&c| c.max(0) as usize);
        let Some(values) =
            constant_values(&src_buffers, spec).filter(|v| channels > 0 && v.len() % channels == 0)
        else {
            return Err(bad(format!(
                "CONV_2D weights {:?} are not a constant",
                spec.name
            )));
        };
        let (bytes, scales) = quantize_per_channel(&values, channels);
        let buffer = add_buffer(NewBuffer::Bytes(bytes), &mut new_buffers);
        let spec = &mut tensors[w as usize];
        spec.buffer = buffer;
        spec.type_ = TensorType::INT8;
        spec.scales = Some(scales);
    }

    write_model(&model, &graph, &tensors, &ops, &new_buffers)
}

fn write_model(
    model: &fb::Model,
    graph: &fb::SubGraph,
    tensors: &[TensorSpec],
    ops: &[OpSpec],
    new_buffers: &[NewBuffer],
) -> Result<Vec<u8>, VisionError> {
    let src_ops = graph.operators().ok_or_else(|| bad("no operators"))?;
    let src_buffers = model.buffers().ok_or_else(|| bad("no buffers"))?;
    let src_len = |i: usize| src_buffers.get(i).data().map_or(0, |d| d.len());
    // Source buffers that no operator reads any more (the fp16 weights we widened) are left
    // empty: tract never sees them, and the rewritten model is a third smaller.
    let mut used = vec![false; src_buffers.len()];
    let op_tensors = ops.iter().flat_map(|op| match op {
        OpSpec::Copy {
            inputs, outputs, ..
        }
        | OpSpec::New {
            inputs, outputs, ..
        } => inputs.iter().chain(outputs),
    });
    for &t in op_tensors {
        let buffer = usize::try_from(t)
            .ok()
            .and_then(|t| tensors.get(t))
            .map(|t| t.buffer as usize);
        if let Some(u) = buffer.and_then(|b| used.get_mut(b)) {
            *u = true;
        }
    }
    // Sized up front so the builder never grows by doubling (and copying) a large buffer.
    let capacity: usize = (0..src_buffers.len())
        .filter(|&i| used[i])
        .map(src_len)
        .sum::<usize>()
        + new_buffers
            .iter()
            .map(|nb| match nb {
                NewBuffer::WidenedF16 { source } => 2 * src_len(*source),
                NewBuffer::Bytes(v) => v.len(),
            })
            .sum::<usize>()
        + 16 * (src_buffers.len() + new_buffers.len())
        + (1 << 20);
    let mut b = FlatBufferBuilder::with_capacity(capacity);

    // Operator codes: one per distinct builtin, in order of first use.
    let mut codes: Vec<BuiltinOperator> = Vec::new();
    let mut code_index = |code: BuiltinOperator| -> u32 {
        match codes.iter().position(|c| *c == code) {
            Some(p) => p as u32,
            None => {
                codes.push(code);
                codes.len() as u32 - 1
            }
        }
    };

    let mut op_offsets = Vec::with_capacity(ops.len());
    for op in ops {
        let (code, inputs, outputs) = match op {
            OpSpec::Copy {
                source,
                inputs,
                outputs,
            } => (opcode_of(model, &src_ops.get(*source))?, inputs, outputs),
            OpSpec::New {
                code,
                inputs,
                outputs,
                ..
            } => (*code, inputs, outputs),
        };
        let opcode_index = code_index(code);
        let (options_type, options) = match op {
            OpSpec::Copy { source, .. } => copy_options(&mut b, &src_ops.get(*source))?,
            OpSpec::New {
                code: BuiltinOperator::SUM,
                keep_dims,
                ..
            } => {
                let o = fb::ReducerOptions::create(
                    &mut b,
                    &fb::ReducerOptionsArgs {
                        keep_dims: *keep_dims,
                    },
                );
                (BuiltinOptions::ReducerOptions, Some(o.as_union_value()))
            }
            OpSpec::New {
                code: BuiltinOperator::MUL,
                ..
            } => {
                let o = fb::MulOptions::create(&mut b, &fb::MulOptionsArgs::default());
                (BuiltinOptions::MulOptions, Some(o.as_union_value()))
            }
            OpSpec::New {
                code: BuiltinOperator::ADD,
                ..
            } => {
                let o = fb::AddOptions::create(&mut b, &fb::AddOptionsArgs::default());
                (BuiltinOptions::AddOptions, Some(o.as_union_value()))
            }
            OpSpec::New {
                code: BuiltinOperator::MAXIMUM | BuiltinOperator::MINIMUM,
                ..
            } => {
                let o =
                    fb::MaximumMinimumOptions::create(&mut b, &fb::MaximumMinimumOptionsArgs {});
                (
                    BuiltinOptions::MaximumMinimumOptions,
                    Some(o.as_union_value()),
                )
            }
            OpSpec::New { code, .. } => return Err(bad(format!("no options writer for {code:?}"))),
        };
        let inputs = b.create_vector(inputs);
        let outputs = b.create_vector(outputs);
        op_offsets.push(fb::Operator::create(
            &mut b,
            &fb::OperatorArgs {
                opcode_index,
                inputs: Some(inputs),
                outputs: Some(outputs),
                builtin_options_type: options_type,
                builtin_options: options,
                ..Default::default()
            },
        ));
    }

    let tensor_offsets: Vec<_> = tensors
        .iter()
        .map(|t| {
            let shape = b.create_vector(&t.shape);
            let name = b.create_string(&t.name);
            let quantization = t.scales.as_ref().map(|scales| {
                let scale = b.create_vector(scales);
                let zero_point = b.create_vector(&vec![0i64; scales.len()]);
                fb::QuantizationParameters::create(
                    &mut b,
                    &fb::QuantizationParametersArgs {
                        scale: Some(scale),
                        zero_point: Some(zero_point),
                        quantized_dimension: 0,
                        ..Default::default()
                    },
                )
            });
            fb::Tensor::create(
                &mut b,
                &fb::TensorArgs {
                    shape: Some(shape),
                    type_: t.type_,
                    buffer: t.buffer,
                    name: Some(name),
                    quantization,
                    ..Default::default()
                },
            )
        })
        .collect();

    let tensors_v = b.create_vector(&tensor_offsets);
    let ops_v = b.create_vector(&op_offsets);
    let in_v: Vec<i32> = graph
        .inputs()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let out_v: Vec<i32> = graph
        .outputs()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let in_v = b.create_vector(&in_v);
    let out_v = b.create_vector(&out_v);
    let subgraph = fb::SubGraph::create(
        &mut b,
        &fb::SubGraphArgs {
            tensors: Some(tensors_v),
            inputs: Some(in_v),
            outputs: Some(out_v),
            operators: Some(ops_v),
            name: None,
        },
    );

    let mut buffer_offsets = Vec::new();
    for (buf, used) in src_buffers.iter().zip(&used) {
        let data = buf
            .data()
            .filter(|_| *used)
            .map(|d| b.create_vector(d.bytes()));
        buffer_offsets.push(fb::Buffer::create(&mut b, &fb::BufferArgs { data }));
    }
    let mut scratch = Vec::new();
    for nb in new_buffers {
        let data = match nb {
            NewBuffer::WidenedF16 { source } => {
                let fp16 = src_buffers
                    .get(*source)
                    .data()
                    .map_or(&[][..], |d| d.bytes());
                f16_to_f32_bytes(fp16, &mut scratch);
                b.create_vector(&scratch)
            }
            NewBuffer::Bytes(v) => b.create_vector(v),
        };
        buffer_offsets.push(fb::Buffer::create(
            &mut b,
            &fb::BufferArgs { data: Some(data) },
        ));
    }

    let code_offsets: Vec<_> = codes
        .iter()
        .map(|c| {
            let deprecated = c.0.min(BuiltinOperator::PLACEHOLDER_FOR_GREATER_OP_CODES.0) as i8;
            fb::OperatorCode::create(
                &mut b,
                &fb::OperatorCodeArgs {
                    deprecated_builtin_code: deprecated,
                    custom_code: None,
                    version: 1,
                    builtin_code: *c,
                },
            )
        })
        .collect();

    let codes_v = b.create_vector(&code_offsets);
    let subgraphs_v = b.create_vector(&[subgraph]);
    let buffers_v: WIPOffset<Vector<ForwardsUOffset<fb::Buffer>>> =
        b.create_vector(&buffer_offsets);
    let root = fb::Model::create(
        &mut b,
        &fb::ModelArgs {
            version: model.version(),
            operator_codes: Some(codes_v),
            subgraphs: Some(subgraphs_v),
            buffers: Some(buffers_v),
            ..Default::default()
        },
    );
    fb::finish_model_buffer(&mut b, root);
    // The builder fills its buffer from the back: move the model to the front instead of copying.
    let (mut data, head) = b.collapse();
    data.drain(..head);
    Ok(data)
}

type Options = (
    BuiltinOptions,
    Option<WIPOffset<flatbuffers::UnionWIPOffset>>,
);

/// Copies the builtin options of the operator types found in MediaPipe's hand models.
fn copy_options(b: &mut FlatBufferBuilder, op: &fb::Operator) -> Result<Options, VisionError> {
    let t = op.builtin_options_type();
    let missing = || bad(format!("operator declares {t:?} but carries none"));
    let value = match t {
        BuiltinOptions::NONE => return Ok((t, None)),
        BuiltinOptions::Conv2DOptions => {
            let o = op
                .builtin_options_as_conv_2_doptions()
                .ok_or_else(missing)?;
            let args = fb::Conv2DOptionsArgs {
                padding: o.padding(),
                stride_w: o.stride_w(),
                stride_h: o.stride_h(),
                fused_activation_function: o.fused_activation_function(),
                dilation_w_factor: o.dilation_w_factor(),
                dilation_h_factor: o.dilation_h_factor(),
            };
            fb::Conv2DOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::DepthwiseConv2DOptions => {
            let o = op
                .builtin_options_as_depthwise_conv_2_doptions()
                .ok_or_else(missing)?;
            let args = fb::DepthwiseConv2DOptionsArgs {
                padding: o.padding(),
                stride_w: o.stride_w(),
                stride_h: o.stride_h(),
                depth_multiplier: o.depth_multiplier(),
                fused_activation_function: o.fused_activation_function(),
                dilation_w_factor: o.dilation_w_factor(),
                dilation_h_factor: o.dilation_h_factor(),
            };
            fb::DepthwiseConv2DOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::Pool2DOptions => {
            let o = op
                .builtin_options_as_pool_2_doptions()
                .ok_or_else(missing)?;
            let args = fb::Pool2DOptionsArgs {
                padding: o.padding(),
                stride_w: o.stride_w(),
                stride_h: o.stride_h(),
                filter_width: o.filter_width(),
                filter_height: o.filter_height(),
                fused_activation_function: o.fused_activation_function(),
            };
            fb::Pool2DOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::AddOptions => {
            let o = op.builtin_options_as_add_options().ok_or_else(missing)?;
            let args = fb::AddOptionsArgs {
                fused_activation_function: o.fused_activation_function(),
                pot_scale_int16: o.pot_scale_int16(),
            };
            fb::AddOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::MulOptions => {
            let o = op.builtin_options_as_mul_options().ok_or_else(missing)?;
            let args = fb::MulOptionsArgs {
                fused_activation_function: o.fused_activation_function(),
            };
            fb::MulOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::ReshapeOptions => {
            let o = op
                .builtin_options_as_reshape_options()
                .ok_or_else(missing)?;
            let shape: Option<Vec<i32>> = o.new_shape().map(|s| s.iter().collect());
            let new_shape = shape.map(|s| b.create_vector(&s));
            fb::ReshapeOptions::create(b, &fb::ReshapeOptionsArgs { new_shape }).as_union_value()
        }
        BuiltinOptions::ResizeBilinearOptions => {
            let o = op
                .builtin_options_as_resize_bilinear_options()
                .ok_or_else(missing)?;
            let args = fb::ResizeBilinearOptionsArgs {
                align_corners: o.align_corners(),
                half_pixel_centers: o.half_pixel_centers(),
            };
            fb::ResizeBilinearOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::ConcatenationOptions => {
            let o = op
                .builtin_options_as_concatenation_options()
                .ok_or_else(missing)?;
            let args = fb::ConcatenationOptionsArgs {
                axis: o.axis(),
                fused_activation_function: o.fused_activation_function(),
            };
            fb::ConcatenationOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::ReducerOptions => {
            let o = op
                .builtin_options_as_reducer_options()
                .ok_or_else(missing)?;
            fb::ReducerOptions::create(
                b,
                &fb::ReducerOptionsArgs {
                    keep_dims: o.keep_dims(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::FullyConnectedOptions => {
            let o = op
                .builtin_options_as_fully_connected_options()
                .ok_or_else(missing)?;
            let args = fb::FullyConnectedOptionsArgs {
                fused_activation_function: o.fused_activation_function(),
                weights_format: o.weights_format(),
                keep_num_dims: o.keep_num_dims(),
                asymmetric_quantize_inputs: o.asymmetric_quantize_inputs(),
            };
            fb::FullyConnectedOptions::create(b, &args).as_union_value()
        }
        BuiltinOptions::PadOptions => {
            fb::PadOptions::create(b, &fb::PadOptionsArgs {}).as_union_value()
        }
        other => {
            return Err(bad(format!(
                "operator options {other:?} are not supported by the rewriter"
            )))
        }
    };
    Ok((t, Some(value)))
}
