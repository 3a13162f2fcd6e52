//! A WebSocket session's sentence in storage: read when a client resumes (`?session=ID`) and
//! written, by a task of its own, whenever the committed text changes, so that a reconnect to
//! any replica continues it. The connection never waits for the database: the writer keeps
//! only the newest text, so a slow or lost database costs no memory and no frame.

use signbridge_interpreter::Interpreter;
use tokio::sync::watch;

use crate::sessions::{new_id, valid_id};
use crate::state::AppState;
use crate::storage::{SavedSentence, SessionKey};
use crate::wire::{SessionKind, SessionMessage, SessionStatus};

/// The connection's interpreter and the handle that stores its text.
pub struct Opened {
    pub interpreter: Box<Interpreter>,
    pub saver: Saver,
}

/// Resumes the session `resume` names if storage has it (within the session TTL), else starts
/// a new one.
pub async fn open(state: &AppState, resume: Option<String>) -> (Opened, SessionMessage) {
    let saved = match resume.as_deref() {
        Some(id) if valid_id(id) => {
            match state
                .storage
                .load_sentence(&SessionKey::new(SessionKind::Ws, id))
                .await
            {
                Ok(saved) => saved.map(|s| (id.to_string(), s.sentence)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a session to resume; starting anew");
                    None
                }
            }
        }
        _ => None,
    };
    let (id, status, interpreter) = match saved {
        Some((id, s)) => {
            let interpreter =
                Interpreter::resume(state.classifier.clone(), s.words, s.current_word);
            (id, SessionStatus::Resumed, interpreter)
        }
        None if resume.is_some() => (
            new_id(),
            SessionStatus::Expired,
            state.sessions.interpreter(),
        ),
        None => (new_id(), SessionStatus::New, state.sessions.interpreter()),
    };
    let sentence = interpreter.sentence();
    // A new session is stored at once, so that its id can be resumed from now on; a resumed
    // one is already there (storing what was read could undo a later save by another replica).
    let saver = Saver::start(
        state.clone(),
        SessionKey::new(SessionKind::Ws, &id),
        SavedSentence::from(&sentence),
        status != SessionStatus::Resumed,
    );
    let message = SessionMessage {
        session: id,
        status,
        sentence: sentence.into(),
        calibration: None,
    };
    (
        Opened {
            interpreter: Box::new(interpreter),
            saver,
        },
        message,
    )
}

/// The sending side of a session's writer task; dropping it lets the task store the last text
/// and end.
pub struct Saver {
    latest: watch::Sender<SavedSentence>,
}

impl Saver {
    fn start(state: AppState, key: SessionKey, initial: SavedSentence, store_now: bool) -> Saver {
        let (latest, mut rx) = watch::channel(initial);
        if store_now {
            rx.mark_changed();
        }
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let text = rx.borrow_and_update().clone();
                if let Err(e) = state.storage.save_sentence(&key, &text).await {
                    state
                        .metrics
                        .failure(crate::wire::ErrorType::StorageUnavailable.as_str());
                    tracing::warn!(error = %e, "cannot save a websocket session's sentence");
                }
            }
        });
        Saver { latest }
    }

    /// Stores the interpreter's text if it changed (cheap when it did not).
    pub fn keep(&self, interpreter: &Interpreter) {
        let now = SavedSentence::from(&interpreter.sentence());
        self.latest.send_if_modified(|text| {
            if *text == now {
                false
            } else {
                *text = now;
                true
            }
        });
    }
}
