mod approve_device;
mod create_device_code;
mod deny_device;
mod poll_device_token;
pub use approve_device::approve_device;
pub use create_device_code::create_device_code;
pub use deny_device::deny_device;
pub use poll_device_token::poll_device_token;
