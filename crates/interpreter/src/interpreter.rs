//! One stream from frame to sentence. An [`Interpreter`] holds everything a stream remembers
//! between frames: the hand tracker (video mode) and the sentence session (classifier, J/Z
//! motion, sentence builder) and the signer's calibration, if any. It is a plain value: the caller
//! owns it, moves it to wherever the work runs, and gets it back with the result.
//!
//! [`read`] is image mode without state: the letter one photo shows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use signbridge_signs::{
    Calibrated, Classifier, LetterReader, Prediction, SentenceConfig, SentenceState, Session,
};
use signbridge_vision::{Detection, Frame, Hand, VisionError};

use crate::hands::{HandModel, HandTracking};

/// Time spent on one frame, stage by stage (decoding is the caller's, carried by the frame).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    pub decode: Duration,
    pub resize: Duration,
    pub palm: Duration,
    pub landmark: Duration,
    /// The letter classifier and the sentence builder.
    pub classify: Duration,
}

/// What one frame shows.
#[derive(Clone, Debug)]
pub struct Reading {
    pub hands: Vec<Hand>,
    /// The signing hand's letter; `None` when there is no hand.
    pub prediction: Option<Prediction>,
    /// The frame's size as it arrived (landmarks are in these pixels).
    pub image_width: u32,
    pub image_height: u32,
    pub timings: Timings,
}

/// What one frame of a stream did: what it showed, what it committed, and the sentence after it.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub reading: Reading,
    /// A letter, `"space"` (a word ended) or `"delete"`.
    pub committed: Option<String>,
    pub sentence: SentenceState,
}

/// An edit of the sentence asked for by the signer (a button, a command).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// End the current word.
    Space,
    /// Remove the last letter.
    Backspace,
    /// Forget the whole text.
    Clear,
}

/// One stream's state. Cheap to create; holds no model, only per-stream state.
pub struct Interpreter {
    session: Session,
    /// Video mode only, made on the first frame from the models it is given.
    tracker: Option<Box<dyn HandTracking>>,
}

impl Interpreter {
    pub fn new(classifier: Arc<Classifier>) -> Interpreter {
        Interpreter {
            session: Session::new(classifier, SentenceConfig::default()),
            tracker: None,
        }
    }

    /// A stream that continues a sentence typed earlier (a session resumed on another
    /// replica): the text is kept, the hand tracker and the sign timing start afresh.
    pub fn resume(classifier: Arc<Classifier>, words: Vec<String>, current: String) -> Interpreter {
        let mut interpreter = Interpreter::new(classifier);
        interpreter.restore(words, current);
        interpreter
    }

    /// Reads this stream's letters with a signer's calibration (`None`: the shipped model).
    pub fn calibrate(&mut self, calibration: Option<Arc<Calibrated>>) {
        self.session.set_calibration(calibration);
    }

    /// Replaces the text with one typed elsewhere (another replica changed the session); the
    /// sign timing starts afresh, the hand tracker is kept.
    pub fn restore(&mut self, words: Vec<String>, current: String) {
        self.session.restore(words, current);
    }

    /// The next frame of a video stream, seen at `t_ms` (any clock that only moves forward; it
    /// drives the sentence builder). Hands are followed from the previous frame. Pass the same
    /// models on every call.
    pub fn frame(
        &mut self,
        hands: &dyn HandModel,
        t_ms: u64,
        frame: &Frame,
    ) -> Result<Outcome, VisionError> {
        let detection = self
            .tracker
            .get_or_insert_with(|| hands.tracker())
            .process(frame)?;
        Ok(self.observe(t_ms, frame, detection))
    }

    /// A photo on its own (no tracking from earlier frames) whose letter still goes into this
    /// stream's sentence: unrelated uploads to one HTTP session.
    pub fn still(
        &mut self,
        hands: &dyn HandModel,
        t_ms: u64,
        frame: &Frame,
    ) -> Result<Outcome, VisionError> {
        let detection = hands.detect(frame)?;
        Ok(self.observe(t_ms, frame, detection))
    }

    /// The next frame of a stream whose hands were found on the signer's device (on-device
    /// mode): `hands` as found there, landmarks in pixels of a `width` x `height` frame. No
    /// model runs here, only the classifier and the sentence builder.
    pub fn landmarks(&mut self, t_ms: u64, hands: Vec<Hand>, width: u32, height: u32) -> Outcome {
        let detection = Detection {
            hands,
            timings: Default::default(),
        };
        let frame = FrameInfo {
            width,
            height,
            decoding: Timings::default(),
        };
        self.observe(t_ms, frame, detection)
    }

    fn observe(&mut self, t_ms: u64, frame: impl Into<FrameInfo>, detection: Detection) -> Outcome {
        let start = Instant::now();
        let result = self
            .session
            .observe(t_ms, signing_hand(&detection.hands).map(|h| &h.landmarks));
        Outcome {
            reading: Reading::new(frame.into(), detection, result.prediction, start.elapsed()),
            committed: result.committed,
            sentence: result.state,
        }
    }

    /// Applies an edit; returns the sentence after it.
    pub fn edit(&mut self, edit: Edit) -> SentenceState {
        match edit {
            Edit::Space => self.session.space(),
            Edit::Backspace => self.session.backspace(),
            Edit::Clear => self.session.clear(),
        }
        self.session.state()
    }

    pub fn sentence(&self) -> SentenceState {
        self.session.state()
    }

    /// Words in the sentence, the one being spelled included.
    pub fn word_count(&self) -> usize {
        let s = self.session.state();
        s.words.len() + usize::from(!s.current_word.is_empty())
    }
}

/// Image mode: the hands in one photo and the letter the signing hand makes. Nothing is
/// remembered between calls.
pub fn read(
    hands: &dyn HandModel,
    classifier: &dyn LetterReader,
    frame: &Frame,
) -> Result<Reading, VisionError> {
    let detection = hands.detect(frame)?;
    let start = Instant::now();
    let prediction = signing_hand(&detection.hands).map(|h| classifier.classify(&h.landmarks));
    Ok(Reading::new(
        frame.into(),
        detection,
        prediction,
        start.elapsed(),
    ))
}

/// Image mode for hands found on the signer's device: the letter `hands` (landmarks in pixels of
/// a `width` x `height` photo) show. No model runs but the classifier.
pub fn read_landmarks(
    classifier: &dyn LetterReader,
    hands: Vec<Hand>,
    width: u32,
    height: u32,
) -> Reading {
    let detection = Detection {
        hands,
        timings: Default::default(),
    };
    let start = Instant::now();
    let prediction = signing_hand(&detection.hands).map(|h| classifier.classify(&h.landmarks));
    let frame = FrameInfo {
        width,
        height,
        decoding: Timings::default(),
    };
    Reading::new(frame, detection, prediction, start.elapsed())
}

/// The hand a frame's letter is read from: the one the landmark model is surest is a hand.
pub fn signing_hand(hands: &[Hand]) -> Option<&Hand> {
    hands
        .iter()
        .max_by(|a, b| a.presence.total_cmp(&b.presence))
}

/// What a reading needs to know of its frame: its size as it arrived and what decoding it
/// cost (the stage timings' decode and resize; the rest is filled in).
struct FrameInfo {
    width: u32,
    height: u32,
    decoding: Timings,
}

impl From<&Frame> for FrameInfo {
    fn from(frame: &Frame) -> FrameInfo {
        FrameInfo {
            width: frame.original_width,
            height: frame.original_height,
            decoding: Timings {
                decode: frame.decode_time,
                resize: frame.resize_time,
                ..Timings::default()
            },
        }
    }
}

impl Reading {
    fn new(
        FrameInfo {
            width,
            height,
            decoding,
        }: FrameInfo,
        detection: Detection,
        prediction: Option<Prediction>,
        classify: Duration,
    ) -> Reading {
        Reading {
            hands: detection.hands,
            prediction,
            image_width: width,
            image_height: height,
            timings: Timings {
                palm: detection.timings.palm,
                landmark: detection.timings.landmark,
                classify,
                ..decoding
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::StubHands;
    use signbridge_vision::{Handedness, ImageLimits};

    fn frame() -> Frame {
        let rgb = image::RgbImage::from_pixel(320, 240, image::Rgb([90, 90, 90]));
        Frame::from_rgb(rgb, &ImageLimits::default()).expect("small frame")
    }

    fn hand(presence: f32, x: f32) -> Hand {
        Hand {
            id: 0,
            handedness: Handedness::Right,
            score: 0.9,
            presence,
            landmarks: [[x, 0.0, 0.0]; 21],
            world_landmarks: [[0.0; 3]; 21],
        }
    }

    #[test]
    fn the_signing_hand_is_the_one_surest_to_be_a_hand() {
        let hands = [hand(0.6, 1.0), hand(0.95, 2.0), hand(0.7, 3.0)];
        assert_eq!(signing_hand(&hands).map(|h| h.landmarks[0][0]), Some(2.0));
        assert!(signing_hand(&[]).is_none());
    }

    #[test]
    fn read_names_the_letter_of_the_hand_in_a_photo() {
        let classifier = Classifier::default_model();
        let reading = read(&StubHands::showing("B"), &classifier, &frame()).unwrap();
        assert_eq!(reading.hands.len(), 1);
        assert_eq!(reading.prediction.map(|p| p.label).as_deref(), Some("B"));
        assert_eq!((reading.image_width, reading.image_height), (320, 240));
    }

    #[test]
    fn a_letter_held_for_a_second_of_video_is_committed_once() {
        let hands = StubHands::showing("L");
        let mut interpreter = Interpreter::new(Arc::new(Classifier::default_model()));
        let frame = frame();
        let committed: Vec<String> = (0..10)
            .filter_map(|i| {
                interpreter
                    .frame(&hands, i * 100, &frame)
                    .unwrap()
                    .committed
            })
            .collect();
        assert_eq!(committed, ["L"]);
        assert_eq!(interpreter.sentence().current_word, "L");
        assert_eq!(interpreter.word_count(), 1);
    }

    #[test]
    fn landmarks_found_on_the_device_build_the_sentence_like_frames() {
        let classifier = Arc::new(Classifier::default_model());
        let shape = *classifier.handshape("W").unwrap();
        let mut hand = hand(0.99, 0.0);
        hand.landmarks = shape.map(|[x, y, z]| [320.0 + 150.0 * x, 300.0 + 150.0 * y, 150.0 * z]);
        let mut interpreter = Interpreter::new(classifier);
        let mut committed = Vec::new();
        for t in (0..1000).step_by(100) {
            let outcome = interpreter.landmarks(t, vec![hand.clone()], 640, 480);
            assert_eq!(outcome.reading.prediction.unwrap().label, "W");
            assert_eq!(
                (outcome.reading.image_width, outcome.reading.image_height),
                (640, 480)
            );
            committed.extend(outcome.committed);
        }
        assert_eq!(committed, ["W"]);
        let empty = interpreter.landmarks(1100, vec![], 640, 480);
        assert!(empty.reading.prediction.is_none() && empty.reading.hands.is_empty());
    }

    #[test]
    fn stills_feed_the_sentence_like_frames() {
        let hands = StubHands::showing("C");
        let mut interpreter = Interpreter::new(Arc::new(Classifier::default_model()));
        let frame = frame();
        for t in [0, 400, 800] {
            interpreter.still(&hands, t, &frame).unwrap();
        }
        assert_eq!(interpreter.sentence().current_word, "C");
    }

    #[test]
    fn edits_change_the_sentence_and_say_what_it_is_now() {
        let hands = StubHands::showing("A");
        let mut interpreter = Interpreter::new(Arc::new(Classifier::default_model()));
        let frame = frame();
        for t in (0..1000).step_by(100) {
            interpreter.frame(&hands, t, &frame).unwrap();
        }
        assert_eq!(interpreter.edit(Edit::Space).full_sentence, "A");
        assert_eq!(interpreter.sentence().words, ["A"]);
        assert_eq!(interpreter.edit(Edit::Backspace).full_sentence, "");
        assert_eq!(interpreter.edit(Edit::Clear).full_sentence, "");
        assert_eq!(interpreter.word_count(), 0);
    }
}
