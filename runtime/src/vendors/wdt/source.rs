//! 旺店通 openapi2 as the engine's [`Source`].

use std::sync::Arc;

use super::Client;
use crate::engine::{BoxFuture, Source, SourcePage};
use crate::error::Error;

/// 旺店通 openapi2 as a [`Source`].
pub struct WdtSource {
    pub client: Arc<Client>,
    pub api: String,
    pub list_key: String,
}

impl Source for WdtSource {
    fn query<'a>(
        &'a self,
        params: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<SourcePage, Error>> {
        Box::pin(async move {
            let page = self.client.query(&self.api, &self.list_key, params).await?;
            Ok(SourcePage {
                total_count: page.total_count,
                records: page.records,
                listed: page.listed,
            })
        })
    }
}
