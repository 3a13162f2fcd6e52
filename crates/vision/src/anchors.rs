//! SSD anchors of MediaPipe's palm detector (`SsdAnchorsCalculator` with the palm graph's options:
//! input 192, 4 layers, strides 8/16/16/16, one aspect ratio, fixed anchor size).
//! Layers that share a stride share one feature map, so the 2016 anchors are
//! 24x24 cells x 2 anchors followed by 12x12 cells x 6 anchors.

/// An anchor centre in normalised input coordinates; width and height are 1 (fixed size).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    pub x_center: f32,
    pub y_center: f32,
}

const INPUT_SIZE: u32 = 192;
const STRIDES: [u32; 4] = [8, 16, 16, 16];
/// Anchors per cell contributed by each layer: one for the aspect ratio 1.0 and one for the
/// interpolated scale.
const ANCHORS_PER_LAYER: usize = 2;

/// Generates the palm detector's anchors in the order of the model's outputs.
pub fn palm_anchors() -> Vec<Anchor> {
    let mut anchors = Vec::with_capacity(2016);
    let mut layer = 0;
    while layer < STRIDES.len() {
        let stride = STRIDES[layer];
        let mut same_stride = 0;
        while layer < STRIDES.len() && STRIDES[layer] == stride {
            same_stride += 1;
            layer += 1;
        }
        let size = INPUT_SIZE.div_ceil(stride);
        for y in 0..size {
            for x in 0..size {
                for _ in 0..same_stride * ANCHORS_PER_LAYER {
                    anchors.push(Anchor {
                        x_center: (x as f32 + 0.5) / size as f32,
                        y_center: (y as f32 + 0.5) / size as f32,
                    });
                }
            }
        }
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_2016_anchors_with_mediapipes_first_and_last_centres() {
        let a = palm_anchors();
        assert_eq!(a.len(), 2016);
        assert_eq!(
            a[0],
            Anchor {
                x_center: 0.5 / 24.0,
                y_center: 0.5 / 24.0
            }
        );
        assert_eq!(a[1], a[0], "two anchors per cell on the stride-8 layer");
        assert_eq!(a[2].x_center, 1.5 / 24.0);
        assert_eq!(
            a[1151],
            Anchor {
                x_center: 23.5 / 24.0,
                y_center: 23.5 / 24.0
            }
        );
        assert_eq!(
            a[1152],
            Anchor {
                x_center: 0.5 / 12.0,
                y_center: 0.5 / 12.0
            }
        );
        assert_eq!(
            a[1157], a[1152],
            "six anchors per cell on the stride-16 layers"
        );
        assert_eq!(a[1158].x_center, 1.5 / 12.0);
        assert_eq!(
            a[2015],
            Anchor {
                x_center: 11.5 / 12.0,
                y_center: 11.5 / 12.0
            }
        );
    }
}
