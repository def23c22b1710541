//! Background work of the server process: delivering queued emails and webhooks.
pub mod campaigns;
pub mod delivery;
pub mod webhook_client;
pub mod webhooks;

pub use campaigns::{ImportOptions, Importer};
pub use delivery::{Deliverer, DeliveryOptions, Transport};
pub use webhook_client::WebhookClient;
pub use webhooks::{WebhookOptions, WebhookSender};
