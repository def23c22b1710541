//! Background work of the server process: delivering queued emails.
pub mod delivery;

pub use delivery::{Deliverer, DeliveryOptions, Transport};
