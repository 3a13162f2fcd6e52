//! Text to fingerspelling: for each letter of a text, a handshape a page can draw and a
//! one-sentence tip. The handshapes are not typed in: they are the per-class medoids of the
//! canonicalised training samples, computed by [`mod@crate::train`] and stored in the model file.
//! They are drawn as a right hand seen in a mirror (the view of a selfie camera).

use crate::classifier::Classifier;
use crate::features::Hand;
use crate::labels::SPACE;
use serde::Serialize;

/// One step of a spelling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpelledLetter {
    /// The character of the text (upper-cased), `' '` for a word break (JSON key `char`).
    #[serde(rename = "char")]
    pub ch: char,
    /// Which word of the text (0-based) this belongs to; a break has the next word's index.
    pub word_index: usize,
    /// The class whose handshape is shown (`"I"` for J, `"D"` for Z, `"space"` for a break).
    pub label: String,
    /// 21 landmarks, x and y in [0, 1] (y down), z in the same scale, centred in the unit square.
    pub landmarks: Hand,
    /// How to form it, in one sentence.
    pub tip: String,
    /// For J and Z: the movement to make with the handshape.
    pub motion: Option<String>,
}

/// How to form each letter (A–Z).
const TIPS: [&str; 26] = [
    "Make a fist with the thumb resting against the side of the index finger.",
    "Hold the four fingers straight up and together, thumb folded across the palm.",
    "Curve the fingers and thumb into the shape of a C.",
    "Point the index finger up; the other fingers curl to touch the thumb tip.",
    "Curl all fingertips down onto the thumb, which is folded across the palm.",
    "Touch the index fingertip to the thumb tip; the other three fingers stand up, spread.",
    "Point the index finger sideways with the thumb parallel above it.",
    "Point the index and middle fingers sideways together, thumb tucked.",
    "Raise the little finger; the other fingers make a fist with the thumb over them.",
    "Make an I and trace a J in the air with the little finger.",
    "Index and middle fingers up in a V with the thumb tip touching the middle finger.",
    "Index finger up and thumb out to the side, forming an L.",
    "Fold the thumb under the index, middle and ring fingers.",
    "Fold the thumb under the index and middle fingers.",
    "Curve all fingers to meet the thumb tip in an O.",
    "Make a K and turn it so the middle finger points down.",
    "Make a G and turn it so the index finger and thumb point down.",
    "Cross the middle finger over the index finger, others curled.",
    "Make a fist with the thumb across the front of the fingers.",
    "Tuck the thumb between the index and middle fingers of a fist.",
    "Index and middle fingers straight up and together.",
    "Index and middle fingers up and spread in a V.",
    "Index, middle and ring fingers up and spread.",
    "Hook the index finger, the other fingers in a fist.",
    "Thumb and little finger out, the middle three fingers curled.",
    "Point the index finger and trace a Z in the air.",
];

/// The movement of the two motion letters.
fn motion_of(c: char) -> Option<String> {
    match c {
        'J' => Some(
            "From the I handshape, move the little finger down and curve it toward you.".into(),
        ),
        'Z' => Some(
            "With the index finger pointing, draw a Z: across, diagonally back and down, across."
                .into(),
        ),
        _ => None,
    }
}

/// Fit canonical landmarks (any scale) into the unit square, keeping proportions.
fn to_unit_square(h: &Hand) -> Hand {
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for p in h {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(f32::EPSILON);
    let scale = 0.8 / span;
    let mut out = *h;
    for p in out.iter_mut() {
        p[0] = 0.5 + (p[0] - (lo[0] + hi[0]) / 2.0) * scale;
        p[1] = 0.5 + (p[1] - (lo[1] + hi[1]) / 2.0) * scale;
        p[2] *= scale;
    }
    out
}

/// Spell `text` with the default model's handshapes.
pub fn fingerspell(text: &str) -> Vec<SpelledLetter> {
    fingerspell_with(&Classifier::default_model(), text)
}

/// Spell `text` with `clf`'s handshapes. Letters A–Z (any case) are spelled; runs of
/// whitespace between words give one `space` entry; everything else is skipped.
pub fn fingerspell_with(clf: &Classifier, text: &str) -> Vec<SpelledLetter> {
    let mut out: Vec<SpelledLetter> = Vec::new();
    let mut pending_break = false;
    let mut word = 0;
    for ch in text.chars() {
        if ch.is_whitespace() {
            pending_break = !out.is_empty();
            continue;
        }
        if !ch.is_ascii_alphabetic() {
            continue;
        }
        let c = ch.to_ascii_uppercase();
        let label = match c {
            'J' => "I".to_string(),
            'Z' => "D".to_string(),
            _ => c.to_string(),
        };
        let Some(shape) = clf.handshape(&label) else {
            continue;
        };
        if pending_break {
            if let Some(space) = clf.handshape(SPACE) {
                out.push(SpelledLetter {
                    ch: ' ',
                    word_index: word + 1,
                    label: SPACE.to_string(),
                    landmarks: to_unit_square(space),
                    tip: "Pause with the hand down between words (or sign space).".into(),
                    motion: None,
                });
            }
            pending_break = false;
            word += 1;
        }
        out.push(SpelledLetter {
            ch: c,
            word_index: word,
            label,
            landmarks: to_unit_square(shape),
            tip: TIPS[(c as u8 - b'A') as usize].to_string(),
            motion: motion_of(c),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_letters_and_breaks_words() {
        let s = fingerspell("Hi, jazz  ok!");
        let chars: String = s.iter().map(|l| l.ch).collect();
        assert_eq!(chars, "HI JAZZ OK");
        assert_eq!(s[3].label, "I");
        assert!(s[3].motion.is_some());
        assert_eq!(s[5].label, "D");
        assert!(s[0].motion.is_none());
        let words: Vec<usize> = s.iter().map(|l| l.word_index).collect();
        assert_eq!(words, vec![0, 0, 1, 1, 1, 1, 1, 2, 2, 2]);
    }

    #[test]
    fn landmarks_fit_the_unit_square() {
        for l in fingerspell("abcxyz") {
            for p in l.landmarks {
                assert!(
                    (0.0..=1.0).contains(&p[0]) && (0.0..=1.0).contains(&p[1]),
                    "{l:?}"
                );
            }
        }
    }

    #[test]
    fn handshapes_come_from_the_model_and_differ_by_letter() {
        let s = fingerspell("AB");
        assert_ne!(s[0].landmarks, s[1].landmarks);
    }

    #[test]
    fn nothing_to_spell_gives_an_empty_list() {
        assert!(fingerspell("  123 !? ").is_empty());
    }
}
