//! One module per group of commands.

pub mod audit;
pub mod auth;
pub mod discover;
pub mod manage;
pub mod project;
pub mod retention;
pub mod webhook;
