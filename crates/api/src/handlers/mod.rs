pub mod audit;
pub mod orgs;
pub mod packages;
pub mod session;
pub mod tokens;
pub mod users;
