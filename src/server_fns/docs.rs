use leptos::prelude::*;

use crate::{error::AppError, model::ApiReference};

/// The API reference; public (no sign-in needed).
#[server(endpoint = "api_reference")]
pub async fn get_api_reference() -> Result<ApiReference, AppError> {
    Ok(crate::api::reference::reference())
}
