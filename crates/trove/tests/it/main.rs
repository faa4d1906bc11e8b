//! Integration suite: a real server over real HTTP, every test on SQLite and PostgreSQL.

mod accounts;
mod admin_cli;
mod audit;
mod backup;
mod bad_input;
mod cargo;
mod cli;
mod common;
mod connections;
mod download;
mod health;
mod manage;
mod oci;
mod openapi;
mod orgs;
mod privacy;
mod publish;
mod rate_limits;
mod s3;
mod scale_out;
mod search;
mod stats;
mod tokens;
mod web;
mod web_webhooks;
mod webhooks;
