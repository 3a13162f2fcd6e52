//! Weighted non-maximum suppression (MediaPipe's `WEIGHTED` algorithm): overlapping palm boxes
//! are merged into one whose box and keypoints are the score-weighted mean of the cluster.

use crate::palm::PalmDetection;

/// Intersection over union of two axis-aligned boxes.
pub fn box_iou(a: &PalmDetection, b: &PalmDetection) -> f32 {
    let iw = (a.xmax.min(b.xmax) - a.xmin.max(b.xmin)).max(0.0);
    let ih = (a.ymax.min(b.ymax) - a.ymin.max(b.ymin)).max(0.0);
    let inter = iw * ih;
    let union =
        (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// Merges detections whose IoU with a higher-scoring one exceeds `threshold`; the result is
/// sorted by score, highest first.
pub fn weighted_nms(mut detections: Vec<PalmDetection>, threshold: f32) -> Vec<PalmDetection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(top) = detections.first().cloned() {
        let (cluster, rest): (Vec<_>, Vec<_>) = detections
            .into_iter()
            .partition(|d| box_iou(&top, d) > threshold);
        detections = rest;
        let total: f32 = cluster.iter().map(|d| d.score).sum();
        let mut merged = PalmDetection {
            score: top.score,
            xmin: 0.0,
            ymin: 0.0,
            xmax: 0.0,
            ymax: 0.0,
            keypoints: [[0.0; 2]; 7],
        };
        for d in &cluster {
            let w = d.score / total;
            merged.xmin += d.xmin * w;
            merged.ymin += d.ymin * w;
            merged.xmax += d.xmax * w;
            merged.ymax += d.ymax * w;
            for (m, k) in merged.keypoints.iter_mut().zip(&d.keypoints) {
                m[0] += k[0] * w;
                m[1] += k[1] * w;
            }
        }
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(score: f32, x: f32) -> PalmDetection {
        PalmDetection {
            score,
            xmin: x,
            ymin: 0.0,
            xmax: x + 1.0,
            ymax: 1.0,
            keypoints: [[x, 0.5]; 7],
        }
    }

    #[test]
    fn overlapping_boxes_merge_into_their_weighted_mean_with_the_top_score() {
        let out = weighted_nms(vec![det(0.6, 0.1), det(0.9, 0.0), det(0.8, 5.0)], 0.3);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let expected = 0.1 * 0.6 / 1.5;
        assert!((out[0].xmin - expected).abs() < 1e-6, "{}", out[0].xmin);
        assert!((out[0].keypoints[3][0] - expected).abs() < 1e-6);
        assert_eq!(out[1].score, 0.8);
        assert_eq!(out[1].xmin, 5.0);
    }

    #[test]
    fn boxes_below_the_threshold_are_kept_apart() {
        // IoU of [0,1] and [0.8,1.8] is 0.2/1.8 = 0.11.
        let out = weighted_nms(vec![det(0.9, 0.0), det(0.7, 0.8)], 0.3);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn iou_is_symmetric_and_one_for_the_same_box() {
        let (a, b) = (det(1.0, 0.0), det(1.0, 0.5));
        assert!((box_iou(&a, &b) - box_iou(&b, &a)).abs() < 1e-7);
        assert!((box_iou(&a, &a) - 1.0).abs() < 1e-7);
        assert!((box_iou(&a, &b) - 0.5 / 1.5).abs() < 1e-6);
    }
}
