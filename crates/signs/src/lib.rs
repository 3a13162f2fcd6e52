//! Sign recognition.
