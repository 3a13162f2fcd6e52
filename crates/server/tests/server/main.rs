//! The server over real sockets on 127.0.0.1:0. One test binary (linking is slow on small
//! machines); the modules split it by concern. Most tests use stub hand models, so they check
//! the server's own behaviour quickly; `real_models` runs the real pipeline.

mod calibration;
mod classes;
mod common;
mod hardening;
mod http;
mod on_device;
mod progress;
mod real_models;
mod storage;
mod web;
mod ws;
